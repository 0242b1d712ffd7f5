// Races decided across two real server processes sharing one database: attempt limits are
// exact, right answers arriving together all succeed, and no code works twice. The servers run on
// the real clock, so the in-process app that seeds each test's accounts, and the codes, do too.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DIALECTS, type TestDatabase } from '../../test-support/databases.js';
import { STRONG_PASSWORD, resetSettings, seedUser, startTestApp, uniqueEmail, type TestApp } from '../../test-support/harness.js';
import { HttpClient, realClock, startServerProcess, type ServerProcess } from '../../test-support/processes.js';
import { phoneCode } from '../../test-support/authenticator.js';

const WRONG = 'definitely-not-the-password';

function tally(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

for (const dialect of DIALECTS) {
  describe(`races across two instances on ${dialect.name}`, { skip: dialect.skip }, () => {
    let database: TestDatabase;
    let seed: TestApp;
    const servers: ServerProcess[] = [];
    const masterKey = randomBytes(32);
    const client = (i: number) => new HttpClient(servers[i % 2]!.baseUrl);

    before(async () => {
      database = await dialect.create();
      seed = await startTestApp({ url: database.url, masterKey, clock: realClock });
      const env = { GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') };
      // Keep whichever started, so after() stops it even if the other failed.
      const started = await Promise.allSettled([startServerProcess(env), startServerProcess(env)]);
      for (const r of started) if (r.status === 'fulfilled') servers.push(r.value);
      for (const r of started) if (r.status === 'rejected') throw r.reason;
    });
    // The values every test counts on; the servers' settings caches live 2 s and nothing changes them.
    beforeEach(() => setUp(() => resetSettings([seed], { passwordAttempts: 5, codeAttempts: 5, lockoutSeconds: 600 })));
    after(async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await seed?.close();
      await database?.drop();
    });

    /**
     * The test's own setup writes through the seed app. On SQLite such a write can meet a server's
     * heartbeat write and get SQLITE_BUSY_SNAPSHOT (a deferred transaction whose snapshot went
     * stale, under load): that is setup, not the race under test, so it is tried again.
     */
    async function setUp<T>(write: () => Promise<T>): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await write();
        } catch (error) {
          if ((error as { code?: string }).code !== 'SQLITE_BUSY_SNAPSHOT' || attempt === 5) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
        }
      }
    }

    async function account(label: string): Promise<string> {
      const email = uniqueEmail(label);
      await setUp(() => seedUser(seed.s, email));
      return email;
    }

    /** An account of the test's own with 2FA on, enrolled (on the real clock) through the seed app. */
    async function enrolled(label: string): Promise<{ email: string; key: string; codes: string[] }> {
      const email = await account(label);
      const c = seed.client();
      await c.signIn(email);
      await c.stepUp();
      const setup = await c.post('/api/me/2fa/setup');
      const enabled = await c.post('/api/me/2fa/enable', { code: phoneCode(setup.body.key, realClock()) });
      assert.equal(enabled.status, 200);
      return { email, key: setup.body.key, codes: enabled.body.backupCodes };
    }

    it('evaluates exactly passwordAttempts of 60 concurrent wrong passwords, then answers 429 with Retry-After', async () => {
      const email = await account('wrong');
      const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => client(i).post('/api/session', { email, password: WRONG })));
      const counts = tally(answers.map((a) => a.status));
      assert.deepEqual(counts, { 401: 5, 429: 55 });
      const locked = answers.find((a) => a.status === 429)!;
      assert.equal(locked.body.error, 'locked');
      assert.ok(locked.body.retryAfterSeconds > 500 && locked.body.retryAfterSeconds <= 600, JSON.stringify(locked.body));
      assert.equal(locked.headers.get('retry-after'), String(locked.body.retryAfterSeconds));
      const right = await client(0).post('/api/session', { email, password: STRONG_PASSWORD });
      assert.equal(right.status, 429, 'while locked, even the right password is not checked');
    });

    it('lets 30 concurrent right passwords all succeed (no false lock)', async () => {
      const email = await account('right');
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => client(i).post('/api/session', { email, password: STRONG_PASSWORD })));
      assert.deepEqual(tally(answers.map((a) => a.status)), { 200: 30 });
    });

    it('locks an unknown email exactly like an account, revealing nothing', async () => {
      const unknown = uniqueEmail('ghost');
      const neighbour = await account('ghost-neighbour');
      const ghost = await Promise.all(Array.from({ length: 12 }, (_, i) => client(i).post('/api/session', { email: unknown, password: WRONG })));
      const real = await Promise.all(Array.from({ length: 12 }, (_, i) => client(i).post('/api/session', { email: neighbour, password: WRONG })));
      assert.deepEqual(tally(ghost.map((a) => a.status)), { 401: 5, 429: 7 });
      assert.deepEqual(tally(real.map((a) => a.status)), { 401: 5, 429: 7 });
      assert.deepEqual(ghost.find((a) => a.status === 401)!.body, real.find((a) => a.status === 401)!.body);
      assert.deepEqual(Object.keys(ghost.find((a) => a.status === 429)!.body).sort(), Object.keys(real.find((a) => a.status === 429)!.body).sort());
    });

    it('evaluates exactly codeAttempts of 60 concurrent wrong codes, locking the second step and new sign-ins', async () => {
      const { email, key } = await enrolled('code-wrong');
      const clients = Array.from({ length: 60 }, (_, i) => client(i));
      for (const c of clients) assert.equal((await c.post('/api/session', { email, password: STRONG_PASSWORD })).body.status, 'second_factor_required');
      const right = phoneCode(key, realClock());
      const wrong = right === '123456' ? '654321' : '123456';
      const answers = await Promise.all(clients.map((c) => c.post('/api/session/second-factor', { code: wrong })));
      assert.deepEqual(tally(answers.map((a) => a.status)), { 401: 5, 429: 55 });
      const again = await client(1).post('/api/session', { email, password: STRONG_PASSWORD });
      assert.equal(again.status, 429, 'a new sign-in is locked too');
    });

    it('lets exactly one of 20 racing submissions of one app code through', async () => {
      const { email, key } = await enrolled('code-race');
      const clients = Array.from({ length: 20 }, (_, i) => client(i));
      for (const c of clients) await c.post('/api/session', { email, password: STRONG_PASSWORD });
      // One step after enrolment's, as a phone a little ahead would show it.
      const code = phoneCode(key, realClock() + 30_000);
      const answers = await Promise.all(clients.map((c) => c.post('/api/session/second-factor', { code })));
      const counts = tally(answers.map((a) => a.status));
      assert.equal(counts[200], 1, JSON.stringify(counts));
    });

    it('answers 20 concurrent 2FA setups of one session, over both instances, with 200 or 409, never 500', async () => {
      const email = await account('setup-race');
      const owner = client(0);
      await owner.post('/api/session', { email, password: STRONG_PASSWORD });
      assert.equal((await owner.stepUp(STRONG_PASSWORD)).status, 204);
      const racer = (i: number) => Object.assign(client(i), { cookie: owner.cookie });
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => racer(i).post('/api/me/2fa/setup')));
      const counts = tally(answers.map((a) => a.status));
      assert.deepEqual(
        Object.keys(counts).filter((s) => s !== '200' && s !== '409'),
        [],
        JSON.stringify(counts),
      );
      // The last pending secret standing is the one that enables.
      const last = await owner.post('/api/me/2fa/setup');
      assert.equal((await owner.post('/api/me/2fa/enable', { code: phoneCode(last.body.key, realClock()) })).status, 200);
      const after = await Promise.all(Array.from({ length: 10 }, (_, i) => racer(i).post('/api/me/2fa/setup')));
      assert.deepEqual(tally(after.map((a) => a.status)), { 409: 10 }, 'an enabled secret is never replaced');
    });

    it('lets exactly one of 20 racing submissions of one backup code through', async () => {
      const { email, codes } = await enrolled('backup-race');
      const clients = Array.from({ length: 20 }, (_, i) => client(i));
      for (const c of clients) await c.post('/api/session', { email, password: STRONG_PASSWORD });
      const answers = await Promise.all(clients.map((c) => c.post('/api/session/second-factor', { code: codes[0] })));
      const counts = tally(answers.map((a) => a.status));
      assert.equal(counts[200], 1, JSON.stringify(counts));
      assert.equal(answers.find((a) => a.status === 200)!.body.backupCodesLeft, 9);
    });
  });
}
