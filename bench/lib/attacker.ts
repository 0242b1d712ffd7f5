// Issue 13: the guesses an attacker who knows the password gets at the default settings, measured
// by running one on the fake clock against an in-process app (real database, real HTTP handling
// through app.inject): guess codes until refused, wait out each lock exactly, until nothing is left.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { STRONG_PASSWORD, seedUser, startTestApp } from '../../src/test-support/harness.js';
import { phoneCode } from '../../src/test-support/authenticator.js';

const DAY_MS = 86_400_000;

export interface AttackerRun {
  firstDay: number;
  total: number;
  /** Days from the first guess to the last one. */
  days: number;
}

export async function measureAttacker(): Promise<AttackerRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-attacker-'));
  let now = Date.UTC(2026, 10, 29, 6, 0, 1);
  const t = await startTestApp({ url: `sqlite:${path.join(dir, 'attack.db')}`, clock: () => now });
  try {
    await seedUser(t.s, 'victim@bench.example');
    const owner = browser(t.app);
    await owner('/api/session', { email: 'victim@bench.example', password: STRONG_PASSWORD });
    await owner('/api/session/step-up', { password: STRONG_PASSWORD });
    const key = (await owner('/api/me/2fa/setup', {})).body.key as string;
    await owner('/api/me/2fa/enable', { code: phoneCode(key, now) });
    const start = now;
    const guesses: number[] = [];
    for (let round = 0; round < 10_000; round++) {
      const attacker = browser(t.app);
      const first = await attacker('/api/session', { email: 'victim@bench.example', password: STRONG_PASSWORD });
      const answer = first.status === 200 ? await attacker('/api/session/second-factor', { code: wrongCode(key, now) }) : first;
      if (answer.status === 401 && answer.body.error === 'invalid_code') guesses.push(now);
      else if (answer.status === 429 && answer.body.permanent) break;
      else if (answer.status === 429) now += answer.body.retryAfterSeconds * 1000;
      else throw new Error(`unexpected answer ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return { firstDay: guesses.filter((at) => at < start + DAY_MS).length, total: guesses.length, days: (guesses.at(-1)! - start) / DAY_MS };
  } finally {
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** POSTs with one browser's cookies (a fresh browser per attempt: the attacker has no device cookie). */
function browser(app: FastifyInstance) {
  const jar = new Map<string, string>();
  return async (url: string, body: object): Promise<{ status: number; body: any }> => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const r = await app.inject({ method: 'POST', url, payload: body, headers: cookie ? { cookie } : {} });
    for (const c of r.cookies) jar.set(c.name, c.value);
    return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : null };
  };
}

function wrongCode(key: string, now: number): string {
  const near = new Set(Array.from({ length: 9 }, (_, i) => phoneCode(key, now + (i - 4) * 30_000)));
  for (let n = 0; ; n++) if (!near.has(String(n).padStart(6, '0'))) return String(n).padStart(6, '0');
}
