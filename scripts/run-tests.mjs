// Runs every *.test.ts under src/ and test/ with Node's test runner (TypeScript through tsx).
// Node 20's --test does not expand globs itself, hence this list; and it sorts the files it is
// given, so the runner is driven through run(), which keeps the order chosen here.
//
//   node scripts/run-tests.mjs [--reverse] [--in-process | --real-clock] [--shard K/N] [part-of-path ...]
//
// Parts of paths pick the files (none: all); --reverse runs them in reverse order, which shows
// whether a file depends on what another left behind; --in-process keeps only the files whose apps
// run inside the test process on the test clock (not those that start real servers, proxies, the
// CLI or a browser, which run on the real clock): the files that a moved GATEHOUSE_TEST_EPOCH reaches;
// --real-clock keeps the others (the ones faketime moves); --shard K/N keeps every N-th file of the
// chosen order from the K-th (1-based), so N processes can share a pass (CI runs its epoch pass so).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The test files' processes inherit this one's flags: without tsx here, they could not load TypeScript.
if (!process.execArgv.includes('tsx')) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (name === 'node_modules' || name === 'dist') continue;
    if (statSync(full).isDirectory()) find(full, out);
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

/**
 * Whether a test file starts real servers, proxies, the CLI or a browser: itself, or through a
 * module beside it that holds its story (`./forward-auth-scenario.js`). Only `./` imports are
 * followed: the shared test support under src/ has the helpers, not the calls.
 */
function startsRealProcesses(file, seen = new Set()) {
  if (seen.has(file)) return false;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  if (/\b(startServerProcess|spawnSync|spawn|launchChromium)\(/.test(text)) return true;
  return [...text.matchAll(/from '(\.\/[^']+)\.js'/g)].some(([, local]) => {
    const module = path.join(path.dirname(file), `${local}.ts`);
    return existsSync(module) && startsRealProcesses(module, seen);
  });
}

const args = process.argv.slice(2);
const shardAt = args.indexOf('--shard');
const shard = shardAt === -1 ? null : /^([1-9]\d*)\/([1-9]\d*)$/.exec(args[shardAt + 1] ?? '');
if (shardAt !== -1 && (!shard || Number(shard[1]) > Number(shard[2]))) {
  console.error('run-tests: --shard takes K/N with 1 <= K <= N (--shard 1/2)');
  process.exit(2);
}
if (shardAt !== -1) args.splice(shardAt, 2);
const flags = args.filter((a) => a.startsWith('--'));
const unknown = flags.filter((f) => f !== '--reverse' && f !== '--in-process' && f !== '--real-clock');
if (unknown.length > 0) {
  console.error(
    `run-tests: unknown option ${unknown.join(' ')} (usage: node scripts/run-tests.mjs [--reverse] [--in-process | --real-clock] [--shard K/N] [part-of-path ...])`,
  );
  process.exit(2);
}
const filter = args.filter((a) => !a.startsWith('--'));
const files = ['src', 'test']
  .flatMap((d) => {
    try {
      return find(d);
    } catch {
      return [];
    }
  })
  .filter((f) => filter.length === 0 || filter.some((part) => f.includes(part)))
  .filter((f) => {
    if (!flags.includes('--in-process') && !flags.includes('--real-clock')) return true;
    const onRealClock = startsRealProcesses(f);
    return flags.includes('--real-clock') ? onRealClock : !onRealClock;
  })
  .sort();
if (flags.includes('--reverse')) files.reverse();
if (shard) {
  const [k, n] = [Number(shard[1]), Number(shard[2])];
  const kept = files.filter((_, i) => i % n === k - 1);
  files.splice(0, files.length, ...kept);
}
if (files.length === 0) {
  console.error(`run-tests: no test file matches ${filter.join(' ')}`);
  process.exit(1);
}

const { run } = await import('node:test');
const { spec } = await import('node:test/reporters');
let failed = false;
// Files that mostly wait on other programs (the container image test: mmdebstrap, podman build)
// run beside the rest rather than in the queue, so their minutes overlap the other files' instead
// of adding to them.
const BESIDE = ['test/container/image.test.ts'];
const beside = files.filter((f) => BESIDE.some((b) => f.endsWith(b)));
const queued = files.filter((f) => !beside.includes(f));
const streams = [
  // As many files at once as `node --test` would run (one on a two-core machine), started in this order.
  queued.length > 0 && run({ files: queued.map((f) => path.resolve(f)), concurrency: Math.max(1, os.availableParallelism() - 1) }),
  beside.length > 0 && run({ files: beside.map((f) => path.resolve(f)), concurrency: 1 }),
].filter(Boolean);
let open = streams.length;
for (const stream of streams) {
  stream.on('test:fail', () => {
    failed = true;
  });
  stream.on('end', () => {
    open--;
    if (open === 0) process.exitCode = failed ? 1 : 0;
  });
  stream.compose(spec).pipe(process.stdout, { end: false });
}
