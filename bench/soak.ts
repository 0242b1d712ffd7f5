// The soak: a mixed load on two instances sharing one PostgreSQL database for a long while, and
// what each instance's memory does meanwhile. Not part of `npm test` (it takes its minutes):
//
//   npm run soak -- --minutes 30 [--bound 10]
//
// Every minute it prints, per instance, the resident set and the V8 heap in use (from /proc and
// /metrics), open handles, the PostgreSQL pool's connections, and the answers that were neither
// expected nor the documented 503. At the end: each instance's memory slope in MiB/hour, fitted
// by least squares over the samples after the first fifth (the warm-up: caches fill, JIT settles),
// and "no leak" only when every slope is under the bound. The result goes to bench/results/soak.md.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { phoneCode } from '../src/test-support/authenticator.js';
import { BENCH_PASSWORD, seedUsers } from './lib/seed.js';
import { memory, startGatehouse, type BenchServer } from './lib/processes.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} takes a positive number`);
  return value;
}

const MINUTES = option('minutes', 30);
const BOUND_MIB_PER_HOUR = option('bound', 10);
const SAMPLE_MS = Math.min(60_000, (MINUTES * 60_000) / 10);
const ADMIN_URL = process.env.GATEHOUSE_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Sample {
  atMinutes: number;
  rssMiB: number;
  heapMiB: number;
  handles: number;
  pool: string;
}

/** A metric's value from a Prometheus text page (the first line of that name and labels). */
function metric(page: string, name: string, labels = ''): number {
  const line = page.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name}{`)));
  return line ? Number(line.split(' ').at(-1)) : Number.NaN;
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

async function call(base: string, method: string, route: string, body?: unknown, cookie?: string) {
  const response = await fetch(base + route, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(cookie ? { cookie } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await response.arrayBuffer();
  const session = /gatehouse_session=([^;]+)/.exec(response.headers.getSetCookie().join('\n'))?.[1];
  return { status: response.status, cookie: session ? `gatehouse_session=${session}` : cookie };
}

async function main(): Promise<void> {
  const name = `gatehouse_soak_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const masterKey = randomBytes(32);
  const seeded = await seedUsers(url.toString(), masterKey, { count: 200, withTwoFactor: 50, prefix: 'soak' });
  const env = { GATEHOUSE_DATABASE_URL: url.toString(), GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') };
  const servers: BenchServer[] = [await startGatehouse(env), await startGatehouse(env)];
  const samples = new Map<number, Sample[]>(servers.map((s) => [s.pid, []]));
  const unexpected = new Map<string, number>();
  let answers = 0;
  const count = (what: string, status: number, expected: number[]) => {
    answers++;
    if (!expected.includes(status) && status !== 503) unexpected.set(`${what} ${status}`, (unexpected.get(`${what} ${status}`) ?? 0) + 1);
  };

  const started = Date.now();
  const until = started + MINUTES * 60_000;
  const twoFactor = [...seeded.secrets.entries()];
  const passwordOnly = seeded.emails.filter((e) => !seeded.secrets.has(e));
  const lastStep = new Map<string, number>();

  // Four workers, each a person after another: sign in (some with 2FA), use the session a while
  // (session checks, forward-auth checks), sometimes a wrong password, then sign out.
  const worker = async (index: number) => {
    for (let round = 0; Date.now() < until; round++) {
      const server = servers[(index + round) % servers.length]!;
      try {
        if (round % 10 === 3) {
          const wrong = await call(server.url, 'POST', '/api/session', { email: passwordOnly[round % passwordOnly.length], password: 'not-the-password' });
          count('wrong password', wrong.status, [401, 429]);
        }
        const withCode = round % 3 === 0 ? twoFactor[(index * 997 + round) % twoFactor.length] : undefined;
        const email = withCode ? withCode[0] : passwordOnly[(index * 31 + round) % passwordOnly.length]!;
        const signIn = await call(server.url, 'POST', '/api/session', { email, password: BENCH_PASSWORD });
        count('sign-in', signIn.status, [200]);
        let cookie = signIn.cookie;
        if (withCode && signIn.status === 200) {
          // One code per 30 s step per person: a person whose step was used waits for the next.
          const step = Math.floor(Date.now() / 30_000);
          if ((lastStep.get(email) ?? -1) >= step) continue;
          lastStep.set(email, step);
          const second = await call(server.url, 'POST', '/api/session/second-factor', { code: phoneCode(withCode[1], Date.now()) }, cookie);
          count('second factor', second.status, [200, 401]);
          cookie = second.cookie;
        }
        for (let i = 0; i < 20; i++) {
          const check = await call(servers[i % servers.length]!.url, 'GET', '/api/session', undefined, cookie);
          count('session check', check.status, [200, 401]);
          const verify = await call(servers[(i + 1) % servers.length]!.url, 'GET', '/api/verify', undefined, cookie);
          count('forward-auth check', verify.status, [200, 401, 403]);
        }
        const out = await call(server.url, 'DELETE', '/api/session', undefined, cookie);
        count('sign-out', out.status, [204, 401]);
      } catch {
        unexpected.set('no answer', (unexpected.get('no answer') ?? 0) + 1);
      }
    }
  };

  const sampler = (async () => {
    while (Date.now() < until) {
      await sleep(Math.min(SAMPLE_MS, Math.max(0, until - Date.now())));
      const atMinutes = (Date.now() - started) / 60_000;
      const line: string[] = [`${atMinutes.toFixed(1).padStart(5)} min`];
      for (const [i, server] of servers.entries()) {
        const page = await fetch(`${server.url}/metrics`).then(
          (r) => r.text(),
          () => '',
        );
        const sample: Sample = {
          atMinutes,
          rssMiB: memory(server.pid).rssMiB,
          heapMiB: metric(page, 'nodejs_heap_size_used_bytes') / 2 ** 20,
          handles: metric(page, 'nodejs_active_handles_total'),
          pool: ['total', 'idle', 'waiting'].map((state) => metric(page, 'gatehouse_db_pool_connections', `{state="${state}"}`)).join('/'),
        };
        samples.get(server.pid)!.push(sample);
        line.push(
          `instance ${i + 1}: RSS ${sample.rssMiB.toFixed(1)} MiB, heap ${sample.heapMiB.toFixed(1)} MiB, handles ${sample.handles}, pool ${sample.pool} (total/idle/waiting)`,
        );
      }
      line.push(`answers ${answers}, unexpected ${[...unexpected.values()].reduce((a, b) => a + b, 0)}`);
      console.log(line.join(' · '));
    }
  })();

  await Promise.all([...Array.from({ length: 4 }, (_, i) => worker(i)), sampler]);
  await Promise.all(servers.map((s) => s.stop()));
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();

  const report: string[] = [
    `# Soak: ${MINUTES} minutes, two instances on PostgreSQL`,
    '',
    `Run on ${new Date().toISOString().slice(0, 10)} with \`npm run soak -- --minutes ${MINUTES}\`; ${answers} answers.`,
    '',
    '| instance | RSS first → last (MiB) | heap first → last (MiB) | RSS slope (MiB/hour) | heap slope (MiB/hour) |',
    '| --- | --- | --- | --- | --- |',
  ];
  let leak = false;
  for (const [i, server] of servers.entries()) {
    const all = samples.get(server.pid)!;
    const settled = all.slice(Math.floor(all.length / 5));
    const rssSlope = slope(settled.map((s) => [s.atMinutes / 60, s.rssMiB]));
    const heapSlope = slope(settled.map((s) => [s.atMinutes / 60, s.heapMiB]));
    if (rssSlope >= BOUND_MIB_PER_HOUR || heapSlope >= BOUND_MIB_PER_HOUR) leak = true;
    report.push(
      `| ${i + 1} | ${all[0]!.rssMiB.toFixed(1)} → ${all.at(-1)!.rssMiB.toFixed(1)} | ${all[0]!.heapMiB.toFixed(1)} → ${all.at(-1)!.heapMiB.toFixed(1)} | ${rssSlope.toFixed(1)} | ${heapSlope.toFixed(1)} |`,
    );
  }
  const unexpectedLine = unexpected.size === 0 ? 'none' : [...unexpected.entries()].map(([k, v]) => `${k}: ${v}`).join(', ');
  report.push('', `Unexpected answers (neither expected nor 503): ${unexpectedLine}.`, '');
  report.push(
    leak || unexpected.size > 0
      ? `**Not clean**: a slope at or over ${BOUND_MIB_PER_HOUR} MiB/hour, or unexpected answers.`
      : `**No leak**: every slope under ${BOUND_MIB_PER_HOUR} MiB/hour after the warm-up, no unexpected answer.`,
  );
  const text = `${report.join('\n')}\n`;
  console.log(`\n${text}`);
  fs.writeFileSync(path.join(ROOT, 'bench', 'results', 'soak.md'), text);
  process.exitCode = leak || unexpected.size > 0 ? 1 : 0;
}

await main();
