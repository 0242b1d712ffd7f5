// The back-channel logout outbox on the test clock, on SQLite and PostgreSQL: a row waits while its
// Gatehouse session lives and becomes due the moment it ends (however it ended); an application
// that fails is retried with backoff on the injected clock, not before; two instances' workers
// racing over the same rows deliver each exactly once; a given-up row is marked failed.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hashSessionToken } from '../../crypto/tokens.js';
import { DIALECTS, type TestDatabase } from '../../test-support/databases.js';
import { TestClock } from '../../test-support/clock.js';
import { seedUser, startTestApp, type TestApp, uniqueEmail } from '../../test-support/harness.js';
import { BackchannelWorker, MAX_ATTEMPTS, backchannelRetryDelayMs } from './backchannel-worker.js';
import { linkSession } from './backchannel.repository.js';

for (const dialect of DIALECTS) {
  describe(`back-channel logout outbox on ${dialect.name}`, { skip: dialect.skip }, () => {
    let database: TestDatabase;
    let t: TestApp;
    const clock = new TestClock();
    let receiver: http.Server;
    let url = '';
    /** What the receiver answers next (a queue; 200 once it is empty), and what it got. */
    let answers: number[] = [];
    let got: string[] = [];
    let clientId = '';

    before(async () => {
      database = await dialect.create();
      t = await startTestApp({ url: database.url, clock: clock.read });
      // The app's own worker polls on a timer; these tests drive workers by hand.
      await t.s.oidc.backchannel.stop();
      receiver = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          got.push(new URLSearchParams(body).get('logout_token') ?? '');
          res.writeHead(answers.shift() ?? 200).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/logout`;
      clientId = (await t.s.clients.create({ name: 'Wiki', redirectUris: ['https://wiki.example/cb'], backchannelLogoutUri: url }, null, null)).client_id;
    });
    after(async () => {
      await t?.close();
      await new Promise((resolve) => receiver?.close(resolve));
      await database?.drop();
    });
    beforeEach(() => {
      answers = [];
      got = [];
    });

    const worker = () =>
      new BackchannelWorker({
        db: t.s.db,
        clock: clock.read,
        sessionIdleMs: t.s.config.sessionIdleSeconds * 1000,
        prepare: async (row) => ({ uri: url, logoutToken: `token-for-${row.sid}` }),
      });

    /** A live session linked to the application under `sid`; answers its token hash. */
    async function linked(sid: string): Promise<string> {
      const user = await seedUser(t.s, uniqueEmail('bc'));
      const started = await t.s.sessions.start({ userId: user.id, kind: 'full', address: null, amr: ['pwd'], userAgent: null });
      const hash = hashSessionToken(started.token);
      await linkSession(t.s.db, { id: `row-${sid}`, sessionHash: hash, clientId, accountId: user.id, sid, now: clock.now() });
      return hash;
    }

    it('sends nothing while the session lives, and once when it ends', async () => {
      const hash = await linked('live');
      const w = worker();
      assert.equal(await w.runOnce(), 0);
      assert.deepEqual(got, []);
      await t.s.sessions.end(hash);
      assert.equal(await w.runOnce(), 1);
      assert.deepEqual(got, ['token-for-live']);
      assert.equal(await w.runOnce(), 0, 'delivered rows are gone');
      assert.deepEqual(got, ['token-for-live']);
    });

    it('an expired session counts as ended', async () => {
      await linked('expiring');
      const w = worker();
      assert.equal(await w.runOnce(), 0);
      clock.advance(400 * 86400_000);
      assert.equal(await w.runOnce(), 1);
      assert.deepEqual(got, ['token-for-expiring']);
    });

    it('a session idle longer than the idle timeout counts as ended', async () => {
      await linked('idle');
      const w = worker();
      clock.advance(t.s.config.sessionIdleSeconds * 1000 - 1);
      assert.equal(await w.runOnce(), 0);
      clock.advance(1);
      assert.equal(await w.runOnce(), 1);
      assert.deepEqual(got, ['token-for-idle']);
    });

    it('retries a failed delivery after the backoff on the injected clock, not before', async () => {
      const hash = await linked('flaky');
      await t.s.sessions.end(hash);
      const w = worker();
      answers = [500, 503];
      assert.equal(await w.runOnce(), 0);
      assert.equal(got.length, 1);
      clock.advance(backchannelRetryDelayMs(1) - 1);
      assert.equal(await w.runOnce(), 0);
      assert.equal(got.length, 1, 'not before the first backoff');
      clock.advance(1);
      assert.equal(await w.runOnce(), 0, 'the second attempt fails too');
      assert.equal(got.length, 2);
      clock.advance(backchannelRetryDelayMs(2) - 1);
      await w.runOnce();
      assert.equal(got.length, 2, 'the backoff doubled');
      clock.advance(1);
      assert.equal(await w.runOnce(), 1);
      assert.deepEqual(got, ['token-for-flaky', 'token-for-flaky', 'token-for-flaky']);
    });

    it('gives up after the last attempt', async () => {
      const hash = await linked('dead');
      await t.s.sessions.end(hash);
      const w = worker();
      answers = Array(MAX_ATTEMPTS).fill(500);
      for (let i = 0; i < MAX_ATTEMPTS; i++) {
        await w.runOnce();
        clock.advance(backchannelRetryDelayMs(i + 1));
      }
      assert.equal(got.length, MAX_ATTEMPTS);
      await w.runOnce();
      assert.equal(got.length, MAX_ATTEMPTS, 'no attempt after the last');
      const row = await t.s.db.selectFrom('oidc_backchannel_logouts').selectAll().where('sid', '=', 'dead').executeTakeFirstOrThrow();
      assert.equal(row.status, 'failed');
      assert.equal(row.attempts, MAX_ATTEMPTS);
    });

    it('two instances racing over the same rows deliver each exactly once', async () => {
      const sids = Array.from({ length: 12 }, (_, i) => `race-${i}`);
      const hashes = [];
      for (const sid of sids) hashes.push(await linked(sid));
      for (const hash of hashes) await t.s.sessions.end(hash);
      const [a, b] = [worker(), worker()];
      const first = await Promise.all([a.runOnce(), b.runOnce()]);
      const second = await Promise.all([a.runOnce(), b.runOnce()]);
      assert.equal(
        [...first, ...second].reduce((x, y) => x + y, 0),
        sids.length,
      );
      assert.deepEqual([...got].sort(), sids.map((s) => `token-for-${s}`).sort());
    });
  });
}
