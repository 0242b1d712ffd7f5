// Server processes for the benchmarks (the compiled server, as in production) and what the
// kernel says about them: CPU seconds and resident memory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/test-support/processes.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface BenchServer {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function waitForListening(child: ChildProcess, pattern: RegExp): Promise<void> {
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not start:\n${output}`)), 30_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => reject(new Error(`exited ${code}:\n${output}`)));
  });
  child.stdout!.resume();
}

function stopper(child: ChildProcess) {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
}

/**
 * The compiled server, at the default log level (info) with its log in a file, as in production.
 * `profileDir`: write a CPU profile there when the server stops (node --cpu-prof).
 */
export async function startGatehouse(env: Record<string, string>, options: { profileDir?: string } = {}): Promise<BenchServer> {
  const port = await freePort();
  const profiling = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-log-'));
  const log = fs.openSync(path.join(logDir, 'server.log'), 'a');
  const child = spawn(process.execPath, [...profiling, path.join(ROOT, 'dist', 'cli', 'run.js'), 'serve'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      GATEHOUSE_PORT: String(port),
      GATEHOUSE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      GATEHOUSE_SIGNIN_RATE_LIMIT: '0',
      ...env,
    },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  const stop = stopper(child);
  const stopAndClean = async () => {
    await stop();
    fs.rmSync(logDir, { recursive: true, force: true });
  };
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url: `http://127.0.0.1:${port}`, pid: child.pid!, child, stop: stopAndClean };
    if (child.exitCode !== null) throw new Error(`gatehouse exited with ${child.exitCode}: ${fs.readFileSync(path.join(logDir, 'server.log'), 'utf8')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('gatehouse did not start');
}

/** The floor for a session check: a bare Fastify route in its own process. */
export async function startBareFastify(): Promise<BenchServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'lib', 'bare-fastify.mjs'), String(port)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForListening(child, /listening/);
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, child, stop: stopper(child) };
}

/**
 * `oidc-provider` alone (lib/bare-oidc.mjs: its in-memory adapter, one confidential client, one
 * account), the limit Gatehouse's OpenID Connect endpoints are compared with.
 */
export async function startBareOidc(client: { id: string; secret: string; redirectUri: string }): Promise<BenchServer> {
  const port = await freePort();
  const script = path.join(ROOT, 'bench', 'lib', 'bare-oidc.mjs');
  const child = spawn(process.execPath, [script, String(port), client.id, client.secret, client.redirectUri], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForListening(child, /listening/);
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, child, stop: stopper(child) };
}

/**
 * A load driver (a .ts file under bench/lib that reads its input from the file named by its first
 * argument and writes its answer to the second) in a Node process of its own, so that it shares no
 * event loop with the benchmark and its CPU can be reported; on `cpus` (taskset) when given.
 */
export async function runDriver<Output>(driver: string, input: unknown, cpus?: string): Promise<Output> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-driver-'));
  const inFile = path.join(dir, 'in.json');
  const outFile = path.join(dir, 'out.json');
  fs.writeFileSync(inFile, JSON.stringify(input));
  const node = [process.execPath, '--import', 'tsx', driver, inFile, outFile];
  const [command, ...args] = cpus ? ['taskset', '-c', cpus, ...node] : node;
  try {
    await new Promise<void>((resolve, reject) =>
      execFile(command!, args, { maxBuffer: 1 << 24 }, (error, _stdout, stderr) =>
        error ? reject(new Error(`${path.basename(driver)} failed: ${stderr}`)) : resolve(),
      ),
    );
    return JSON.parse(fs.readFileSync(outFile, 'utf8')) as Output;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** user + system CPU seconds of a process so far (/proc/PID/stat, in clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function memory(pid: number): { rssMiB: number; peakMiB: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}
