// What happens when things go wrong to the process: kill -9 in the middle of enabling 2FA and
// replacing backup codes leaves every account whole; SIGTERM finishes in-flight requests and
// exits 0; a SQLite write lock held by another process means a wait, not an error.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { openDatabase } from '../../src/db/database.js';
import { DIALECTS, type TestDatabase } from '../../src/test-support/databases.js';
import { STRONG_PASSWORD, seedUser, startTestApp } from '../../src/test-support/harness.js';
import { HttpClient, realClock, startServerProcess } from '../../src/test-support/processes.js';
import { phoneCode } from '../../src/test-support/authenticator.js';

/** One user's endless loop of the multi-step changes: enable (with codes), replace codes twice, disable. */
async function churn(client: HttpClient, email: string): Promise<void> {
  await client.post('/api/session', { email, password: STRONG_PASSWORD });
  for (;;) {
    await client.stepUp(STRONG_PASSWORD);
    const setup = await client.post('/api/me/2fa/setup');
    if (setup.status !== 200) return;
    const key = setup.body.key as string;
    if ((await client.post('/api/me/2fa/enable', { code: phoneCode(key, realClock()) })).status !== 200) return;
    await client.post('/api/me/2fa/backup-codes', { code: phoneCode(key, realClock() + 30_000) });
    await client.post('/api/me/2fa/backup-codes', { code: phoneCode(key, realClock() + 60_000) });
    await client.post('/api/me/2fa/disable', { password: STRONG_PASSWORD });
  }
}

for (const dialect of DIALECTS) {
  describe(`kill -9 during 2FA changes on ${dialect.name}`, { skip: dialect.skip }, () => {
    let database: TestDatabase;
    const masterKey = randomBytes(32);
    const emails = Array.from({ length: 16 }, (_, i) => `crash-${i}@example.com`);

    before(async () => {
      database = await dialect.create();
      const seed = await startTestApp({ url: database.url, masterKey, clock: realClock });
      await seed.s.settings.update({ passwordAttempts: 100, codeAttempts: 100 });
      for (const email of emails) await seedUser(seed.s, email);
      await seed.close();
    });
    after(async () => database?.drop());

    it('leaves every account whole: no 2FA, or 2FA with a complete set of codes', async () => {
      const env = { GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64'), GATEHOUSE_LOG_LEVEL: 'info' };
      const server = await startServerProcess(env);
      const work = emails.map((email) => churn(new HttpClient(server.baseUrl), email).catch(() => {}));
      // Killed once the churn is under way (a 2FA row written), however slow the machine is, and a
      // moment later, so changes are in flight; a fixed wait failed under load before anything ran.
      const watcher = openDatabase(database.url);
      try {
        for (let waited = 0; waited < 30_000; waited += 100) {
          if ((await watcher.db.selectFrom('two_factor').select('user_id').limit(1).execute()).length > 0) break;
          await sleep(100);
        }
      } finally {
        await watcher.close();
      }
      await sleep(500);
      server.child.kill('SIGKILL');
      await Promise.all(work);

      const { db, close } = openDatabase(database.url);
      try {
        const rows = await db.selectFrom('two_factor').select(['user_id', 'enabled_at']).execute();
        const codes = await db.selectFrom('backup_codes').select(['user_id']).execute();
        const count = (id: string) => codes.filter((c) => c.user_id === id).length;
        let enabled = 0;
        for (const row of rows) {
          if (row.enabled_at != null) {
            enabled++;
            assert.equal(count(row.user_id), 10, 'an enabled account has its whole set of codes');
          }
        }
        const withoutTwoFactor = codes.filter((c) => !rows.some((r) => r.user_id === c.user_id && r.enabled_at != null));
        assert.equal(withoutTwoFactor.length, 0, 'no codes without 2FA');
        assert.ok(rows.length > 0, 'the churn got going before the kill');
        void enabled;
      } finally {
        await close();
      }
      if (dialect.name === 'sqlite') {
        const file = new SQLite(database.url.slice('sqlite:'.length));
        assert.equal(file.pragma('integrity_check', { simple: true }), 'ok');
        file.close();
      }
      const restarted = await startServerProcess(env);
      try {
        const c = new HttpClient(restarted.baseUrl);
        const r = await c.post('/api/session', { email: emails[0], password: STRONG_PASSWORD });
        assert.ok(r.status === 200, JSON.stringify(r.body));
      } finally {
        await restarted.stop();
      }
    });
  });
}

describe('graceful shutdown and SQLite locks', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-stop-'));
  const url = `sqlite:${path.join(dir, 'gatehouse.db')}`;
  const masterKey = randomBytes(32);
  const env = { GATEHOUSE_DATABASE_URL: url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') };

  before(async () => {
    const seed = await startTestApp({ url, masterKey, clock: realClock });
    for (let i = 0; i < 12; i++) await seedUser(seed.s, `stop-${i}@example.com`);
    await seed.close();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('on SIGTERM finishes the requests in flight, refuses new ones and exits 0', async () => {
    // At debug the server logs each request as it arrives.
    const server = await startServerProcess({ ...env, GATEHOUSE_LOG_LEVEL: 'debug' });
    // Twelve sign-ins, each an Argon2id verification with OWASP parameters: several are still running at SIGTERM.
    const inFlight = Array.from({ length: 12 }, (_, i) =>
      new HttpClient(server.baseUrl).post('/api/session', { email: `stop-${i}@example.com`, password: STRONG_PASSWORD }),
    );
    // SIGTERM once the server has received all twelve (its log says so), while they are still hashing.
    while ((server.output().match(/"route":"\/api\/session".*"msg":"incoming request"/g) ?? []).length < 12) await sleep(2);
    const exit = server.stop('SIGTERM');
    const answers = await Promise.all(inFlight);
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(12).fill(200),
    );
    assert.equal(await exit, 0);
    await assert.rejects(fetch(`${server.baseUrl}/healthz`));
  });

  it('waits for a write lock held by another process instead of failing', async () => {
    const server = await startServerProcess(env);
    try {
      const other = new SQLite(url.slice('sqlite:'.length));
      other.exec('BEGIN IMMEDIATE');
      const started = performance.now();
      const signIn = new HttpClient(server.baseUrl).post('/api/session', { email: 'stop-0@example.com', password: STRONG_PASSWORD });
      await sleep(800);
      other.exec('COMMIT');
      other.close();
      const answer = await signIn;
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.ok(performance.now() - started >= 700, 'it waited for the lock');
    } finally {
      await server.stop();
    }
  });
});
