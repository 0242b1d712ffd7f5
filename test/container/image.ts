// Builds the container image for test/container/image.test.ts without an image registry: two base
// images made from Debian's packages with mmdebstrap (bookworm, minbase), each with this machine's
// Node.js copied in (Debian's own nodejs is 18, older than Gatehouse needs), imported with
// `podman import`; then the real Containerfile built on them with --build-arg BASE/BUILD_BASE.
// The base tarballs are cached in /var/tmp by a hash of what goes into them, and podman's layer
// cache keeps `npm ci`, so a second run only rebuilds the application.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
const NODE = fs.realpathSync(process.execPath);
const PREFIX = path.dirname(path.dirname(NODE));
const NPM = path.join(PREFIX, 'lib', 'node_modules', 'npm');
const NODE_HEADERS = path.join(PREFIX, 'include', 'node');
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/**
 * How podman runs containers here: runc (crun fails on this machine's hybrid cgroups: "cgroups in
 * hybrid mode not supported"), and limits under the hard ones (podman's default nofile exceeds
 * them: "setrlimit RLIMIT_NOFILE: Operation not permitted").
 */
export const PODMAN_GLOBAL = spawnSync('runc', ['--version']).status === 0 ? ['--runtime', 'runc'] : [];
export const ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096'];

export function podman(args: string[], input?: string) {
  return spawnSync('podman', [...PODMAN_GLOBAL, ...args], { encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
}

/** Runs a command to its end without blocking the event loop (two base builds run side by side). */
function runAsync(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${command} ${args.slice(0, 3).join(' ')}… exited ${code}:\n${output.slice(-4000)}`)),
    );
  });
}

/** Why this machine cannot build the image, or null when it has the tools. */
export function missingTools(): string | null {
  for (const tool of ['podman', 'mmdebstrap']) if (spawnSync(tool, ['--version']).status !== 0) return `${tool} is not installed`;
  if (!fs.existsSync(NPM) || !fs.existsSync(NODE_HEADERS)) return `no npm or Node headers under ${PREFIX} to copy into the base image`;
  return null;
}

interface Base {
  kind: 'runtime' | 'build';
  packages: string[];
  hooks: string[];
}

const BASES: Base[] = [
  { kind: 'runtime', packages: ['ca-certificates', 'libstdc++6'], hooks: [`copy-in ${NODE} /usr/bin`] },
  {
    kind: 'build',
    packages: ['ca-certificates', 'libstdc++6', 'python3', 'make', 'g++'],
    hooks: [
      `copy-in ${NODE} /usr/bin`,
      'mkdir -p "$1/usr/include" "$1/usr/lib/node_modules"',
      `copy-in ${NODE_HEADERS} /usr/include`,
      `copy-in ${NPM} /usr/lib/node_modules`,
      'ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/bin/npm"',
    ],
  },
];

async function baseImage(base: Base): Promise<string> {
  const hash = createHash('sha256')
    .update(JSON.stringify({ ...base, node: process.version, npm: fs.readFileSync(path.join(NPM, 'package.json'), 'utf8') }))
    .digest('hex')
    .slice(0, 16);
  const tag = `localhost/gatehouse-test-base-${base.kind}:${hash}`;
  if (podman(['image', 'exists', tag]).status === 0) return tag;
  const tarball = `/var/tmp/gatehouse-image-base-${base.kind}-${hash}.tar`;
  if (!fs.existsSync(tarball)) {
    const partial = `${tarball}.${process.pid}.partial`;
    const hooks = base.hooks.flatMap((hook) => ['--customize-hook', hook]);
    await runAsync('mmdebstrap', ['--variant=minbase', '--format=tar', `--include=${base.packages.join(',')}`, ...hooks, 'bookworm', partial]);
    fs.renameSync(partial, tarball);
  }
  await runAsync('podman', ['import', '--change', 'CMD ["/bin/bash"]', tarball, tag]);
  return tag;
}

/** The image, built from the Containerfile as an operator would, with the test's own bases. */
export async function buildImage(tag: string): Promise<{ tag: string; seconds: number }> {
  const started = performance.now();
  const [runtime, build] = await Promise.all(BASES.map(baseImage));
  // npm ci reaches the registry through this machine's network (and its CA, as a build secret: it
  // is mounted for that step only and never stored in a layer); node-gyp finds Node's headers in /usr.
  const secret = fs.existsSync(CA_BUNDLE) ? ['--secret', `id=npm_ca,src=${CA_BUNDLE}`] : [];
  await runAsync('podman', [
    ...PODMAN_GLOBAL,
    'build',
    '--format',
    'docker', // HEALTHCHECK is a Docker-format field: OCI images drop it
    ...ULIMITS,
    '--network',
    'host',
    ...secret,
    '--build-arg',
    `BASE=${runtime}`,
    '--build-arg',
    `BUILD_BASE=${build}`,
    '--build-arg',
    'NPM_NODEDIR=/usr',
    '-t',
    tag,
    '-f',
    path.join(ROOT, 'Containerfile'),
    ROOT,
  ]);
  return { tag, seconds: Math.round((performance.now() - started) / 1000) };
}
