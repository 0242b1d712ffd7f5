// Real server processes (`gatehouse serve`) for tests about several instances, crashes and
// signals, and a fetch-based client with a cookie jar that talks to them over real sockets.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** tsx by absolute address: the child may run in another folder. */
const TSX = import.meta.resolve('tsx');
const ENTRY = path.join(ROOT, 'src', 'cli', 'run.ts');

/**
 * The clock of real server processes and of the CLI: the real one, as they have no other. An
 * in-process app sharing a database with them, and a test making codes for them, read this (never
 * a TestClock): the two sides must agree on the time, and these tests never mix it with a TestClock.
 */
export const realClock = (): number => Date.now();

/**
 * What a child needs to share this process's view of the real clock: under `faketime` the fake
 * time reaches a process through LD_PRELOAD and FAKETIME*, which a child started with a clean
 * environment would otherwise lose (and then disagree with the test about TOTP codes).
 */
export function clockEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && (name === 'LD_PRELOAD' || name.startsWith('FAKETIME'))) env[name] = value;
  }
  return env;
}

export interface ServerProcess {
  baseUrl: string;
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const START_TIMEOUT_MS = 60_000;

/** Starts `gatehouse serve` on a free port whose address is also its public URL (browsers send Origin). */
export async function startServerProcess(env: Record<string, string>, cwd = ROOT): Promise<ServerProcess> {
  const port = String(await freePort());
  const child = spawn(process.execPath, ['--import', TSX, ENTRY, 'serve'], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      ...clockEnv(),
      GATEHOUSE_PORT: port,
      GATEHOUSE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      GATEHOUSE_LOG_LEVEL: 'info',
      GATEHOUSE_SIGNIN_RATE_LIMIT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    // Generous: on a busy shared machine tsx alone can take many seconds. A server that does not
    // start is killed, or it would keep the test file's process alive after the test gave up.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${START_TIMEOUT_MS / 1000} s:\n${output}`));
    }, START_TIMEOUT_MS);
    const check = () => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  return {
    baseUrl,
    child,
    output: () => output,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}

export interface HttpAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/**
 * A browser-like client over real HTTP: keeps the session cookie and drops it when the server
 * clears it (empty value). It does not judge Expires: no test here outlives a session, and the
 * server refuses an expired one anyway.
 */
export class HttpClient {
  cookie: string | null = null;

  constructor(public baseUrl: string) {}

  async call(method: string, url: string, body?: unknown): Promise<HttpAnswer> {
    const response = await fetch(this.baseUrl + url, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.cookie ? { cookie: `gatehouse_session=${this.cookie}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    for (const line of response.headers.getSetCookie()) {
      const match = /^gatehouse_session=([^;]*)/.exec(line);
      if (match) this.cookie = match[1] === '' ? null : match[1]!;
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  post = (url: string, body: unknown = {}) => this.call('POST', url, body);
  /** Step-up: re-authenticate this session (the code when the account has 2FA). */
  stepUp = (password: string, code?: string) => this.call('POST', '/api/session/step-up', code === undefined ? { password } : { password, code });
  get = (url: string) => this.call('GET', url);
}
