// Better Auth started and seeded through its own HTTP API (sign-up, enable 2FA, confirm), so
// its data is exactly what it would hold in use.
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/test-support/processes.js';
import { phoneCode } from '../../src/test-support/authenticator.js';
import { BENCH_PASSWORD } from './seed.js';
import type { BenchServer } from './processes.js';

const SERVER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'peers', 'better-auth', 'server.mjs');

export async function startBetterAuth(databaseFile: string): Promise<BenchServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [SERVER, String(port), databaseFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('listening')) resolve();
    });
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => reject(new Error(`better-auth exited ${code}: ${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Better Auth refuses cookie-less POSTs without an Origin header; a browser always sends one. */
export async function peerPost(base: string, route: string, body: unknown, cookie?: string): Promise<{ status: number; cookie: string; body: any }> {
  const r = await fetch(base + route, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base, ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
  const set = r.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .filter((c) => !c.endsWith('='))
    .join('; ');
  return { status: r.status, cookie: set, body: await r.json().catch(() => null) };
}

export async function seedBetterAuth(
  base: string,
  count: number,
  withTwoFactor: number,
  prefix: string,
): Promise<{ emails: string[]; secrets: Map<string, string> }> {
  const emails: string[] = [];
  const secrets = new Map<string, string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) {
        const i = next++;
        const email = `${prefix}-${String(i).padStart(7, '0')}@bench.example`;
        const up = await peerPost(base, '/api/auth/sign-up/email', { email, password: BENCH_PASSWORD, name: email });
        if (up.status !== 200) throw new Error(`better-auth sign-up: ${up.status} ${JSON.stringify(up.body)}`);
        emails.push(email);
        if (i < withTwoFactor) {
          const enable = await peerPost(base, '/api/auth/two-factor/enable', { password: BENCH_PASSWORD }, up.cookie);
          const secret = new URL(enable.body.totpURI as string).searchParams.get('secret')!;
          const confirm = await peerPost(base, '/api/auth/two-factor/verify-totp', { code: phoneCode(secret, Date.now()) }, up.cookie);
          if (confirm.status !== 200) throw new Error(`better-auth enable 2FA: ${confirm.status}`);
          secrets.set(email, secret);
        }
      }
    }),
  );
  return { emails, secrets };
}
