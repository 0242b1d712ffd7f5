// The load generator: wrk (Debian's `wrk`), a C program far lighter than a Node client, so the
// cores go to the server being measured. Optionally pinned with taskset; reports its own CPU
// share so a reader can see what it took.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'wrk.lua');

export interface Rate {
  perSecond: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  errors: number;
  /** CPU seconds wrk spent ÷ wall seconds: 1 = one whole core. */
  generatorCores: number;
}

export function wrkAvailable(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version exits 1 after printing its version; only a missing binary is fatal.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

export async function hammer(options: {
  url: string;
  method?: 'GET' | 'POST';
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  /** Request bodies used in turn (POST), each with its own Cookie header if given. */
  bodies?: Array<string | { cookie: string; body: string }>;
  /** Bodiless requests, each with the next of `values` as its header `name` (a pool of cookies or bearer tokens). */
  perRequest?: { name: string; values: string[] };
  /** CPUs for wrk (taskset -c), e.g. "0". */
  cpus?: string;
  threads?: number;
}): Promise<Rate> {
  const threads = Math.min(options.threads ?? 1, options.connections);
  const headers = { ...(options.bodies ? { 'content-type': 'application/json' } : {}), ...options.headers };
  let bodiesFile: string | undefined;
  const lines = options.bodies?.map((b) => (typeof b === 'string' ? b : `${b.cookie}\t${b.body}`)) ?? options.perRequest?.values.map((value) => `${value}\t`);
  if (lines) {
    bodiesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-wrk-')), 'bodies.txt');
    fs.writeFileSync(bodiesFile, `${lines.join('\n')}\n`);
  }
  const wrkArgs = [
    '-t',
    String(threads),
    '-c',
    String(options.connections),
    '-d',
    `${options.seconds}s`,
    '--latency',
    '-s',
    SCRIPT,
    ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    options.url,
  ];
  // sh runs wrk, then prints its own /proc stat: cutime + cstime are the CPU of the waited-for wrk.
  const shell = ['-c', 'wrk "$@"; cat /proc/$$/stat', 'sh', ...wrkArgs];
  const command = options.cpus ? 'taskset' : 'sh';
  const args = options.cpus ? ['-c', options.cpus, 'sh', ...shell] : shell;
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, {
      env: {
        ...process.env,
        WRK_METHOD: options.method ?? 'GET',
        ...(bodiesFile ? { WRK_BODIES: bodiesFile } : {}),
        ...(options.perRequest ? { WRK_LINE_HEADER: options.perRequest.name } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', () => (out.includes('WRK_JSON') ? resolve(out) : reject(new Error(`wrk failed:\n${out}\n${err}`))));
  });
  if (bodiesFile) fs.rmSync(path.dirname(bodiesFile), { recursive: true, force: true });
  const summary = JSON.parse(/WRK_JSON (.*)/.exec(output)![1]!) as {
    requests: number;
    durationUs: number;
    non2xx: number;
    socketErrors: number;
    p50Us: number;
    p99Us: number;
  };
  const stat = output.trim().split('\n').at(-1)!.split(') ')[1]!.split(' ');
  const generatorCpu = (Number(stat[13]) + Number(stat[14])) / 100;
  const seconds = summary.durationUs / 1e6;
  const ok = summary.requests - summary.non2xx;
  return {
    perSecond: ok / seconds,
    p50: summary.p50Us / 1000,
    p99: summary.p99Us / 1000,
    errors: summary.non2xx + summary.socketErrors,
    generatorCores: generatorCpu / seconds,
  };
}
