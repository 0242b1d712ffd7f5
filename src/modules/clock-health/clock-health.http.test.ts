// Server clock health over HTTP with two app instances on one database, each with its own
// injected clock: the administrators' report (the notice's source) names the instance that is
// off and forgets it once corrected; /healthz and /metrics say it; the phones need a quorum.
// On PostgreSQL the database server's clock is the real one, so there an instance's clock is
// the real time plus its skew (the only honest way to be 45 s off against it); on SQLite, which
// has no clock, the whole world runs on a fake clock.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_EPOCH } from '../../test-support/clock.js';
import { randomBytes } from 'node:crypto';
import { DIALECTS, type TestDatabase } from '../../test-support/databases.js';
import { Client, seedUser, startTestApp, type TestApp } from '../../test-support/harness.js';
import { phoneCode } from '../../test-support/authenticator.js';
import type { ClockReport } from './clock-report.js';
import { ClockHealthService, HEARTBEAT_MS } from './clock-health.service.js';
import { Gauge } from 'prom-client';

for (const dialect of DIALECTS) {
  describe(`server clock health on ${dialect.name}`, { skip: dialect.skip }, () => {
    const postgres = dialect.name === 'postgres';
    const cleanups: Array<() => Promise<void>> = [];
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    /** A database, instance A (right clock, port 3001) and instance B (skewed, port 3002), and an administrator on A. */
    async function world(bSkewMs: number) {
      let fakeNow = TEST_EPOCH;
      const trueTime = () => (postgres ? Date.now() : fakeNow);
      const skew = { b: bSkewMs };
      const database: TestDatabase = await dialect.create();
      const masterKey = randomBytes(32);
      const a = await startTestApp({ url: database.url, masterKey, clock: () => trueTime(), env: { GATEHOUSE_PORT: '3001' } });
      const b = await startTestApp({ url: database.url, masterKey, clock: () => trueTime() + skew.b, env: { GATEHOUSE_PORT: '3002' } });
      cleanups.push(async () => {
        await a.close();
        await b.close();
        await database.drop();
      });
      await seedUser(a.s, 'admin@example.com', 'admin');
      const admin = new Client(a.app);
      assert.equal((await admin.signIn('admin@example.com')).body.status, 'authenticated');
      return {
        a,
        b,
        admin,
        skew,
        /** Moves the fake clock on (SQLite); on PostgreSQL real time moves by itself. */
        advance: (ms: number) => {
          fakeNow += ms;
        },
        /** A user turns on 2FA through `app`: the code from a phone whose clock is right is accepted, and its offset learned. */
        async enrolThrough(app: TestApp, email: string) {
          await seedUser(a.s, email);
          const client = new Client(app.app);
          assert.equal((await client.signIn(email)).body.status, 'authenticated');
          assert.equal((await client.stepUp()).status, 204);
          const setup = await client.post('/api/me/2fa/setup');
          const enabled = await client.post('/api/me/2fa/enable', { code: phoneCode(setup.body.key, trueTime()) });
          assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
          fakeNow += 11_000; // the next phone reads its code at another point of the 30 s step
        },
        /** One round of heartbeats, a heartbeat interval after the last (the fake clock moves on). */
        async heartbeats() {
          fakeNow += HEARTBEAT_MS;
          await a.app.clockHealth.refresh();
          await b.app.clockHealth.refresh();
          await a.app.clockHealth.refresh();
        },
        async report(): Promise<ClockReport> {
          const answer = await admin.get('/api/admin/clock');
          assert.equal(answer.status, 200, JSON.stringify(answer.body));
          return answer.body as ClockReport;
        },
      };
    }

    async function healthOf(app: TestApp) {
      return (await app.app.inject({ method: 'GET', url: '/healthz' })).json() as { status: string; clock: string; clockErrorSeconds?: number };
    }

    async function gaugeOf(app: TestApp): Promise<number> {
      const text = (await app.app.inject({ method: 'GET', url: '/metrics' })).body;
      const match = /^gatehouse_clock_error_seconds (\S+)$/m.exec(text);
      assert.ok(match, 'the gauge is in /metrics');
      return Number(match[1]);
    }

    it('names the instance whose clock is off, in the report, /healthz and /metrics, and forgets it once corrected', async () => {
      const w = await world(45_000);
      // Users sign in through the skewed instance: their phones' codes arrive one or two steps old.
      for (let i = 0; i < 6; i++) await w.enrolThrough(w.b, `user${i}@example.com`);
      await w.heartbeats();

      const report = await w.report();
      const [self, other] = report.instances;
      assert.equal(report.instances.length, 2, JSON.stringify(report));
      assert.ok(self!.self && self!.name.endsWith(':3001') && !self!.skewed, JSON.stringify(self));
      assert.ok(other!.name.endsWith(':3002') && other!.skewed, JSON.stringify(other));
      assert.ok(Math.abs(other!.errorSeconds! - 45) <= 3, `B is about 45 s ahead: ${other!.errorSeconds}`);
      assert.ok(Math.abs(other!.offsetFromThisSeconds! - 45) <= 3, String(other!.offsetFromThisSeconds));
      assert.equal(report.thresholdSeconds, 15);
      assert.equal(report.estimate.witnesses.phones.quorum, true, JSON.stringify(report.estimate.witnesses.phones));
      if (postgres) assert.ok(Math.abs(report.estimate.witnesses.databaseOffsetSeconds!) < 3, 'A agrees with the database');
      else assert.equal(report.estimate.witnesses.databaseOffsetSeconds, null, 'SQLite has no clock of its own');

      const bEstimate = w.b.app.clockHealth.current()!;
      assert.equal(w.b.app.clockHealth.serverClockSuspect(), true);
      assert.ok(bEstimate.backedBy.includes('phones') && bEstimate.phonesBacking >= 5, JSON.stringify(bEstimate));
      assert.equal(w.a.app.clockHealth.serverClockSuspect(), false, 'the instance that is right is not suspect');

      // A refused code through the skewed instance points at the server, not at the phone (whose
      // learned offset is just what B's error predicts); through A it is a plain wrong code.
      const throughB = new Client(w.b.app);
      assert.equal((await throughB.signIn('user0@example.com')).body.status, 'second_factor_required');
      const blamed = await throughB.post('/api/session/second-factor', { code: '000000' });
      assert.equal(blamed.body.error, 'invalid_code');
      assert.equal(blamed.body.reason, 'server_clock', JSON.stringify(blamed.body));
      assert.match(blamed.body.message, /server's clock seems about \d+ s ahead/);
      const throughA = new Client(w.a.app);
      assert.equal((await throughA.signIn('user1@example.com')).body.status, 'second_factor_required');
      const plain = await throughA.post('/api/session/second-factor', { code: '000000' });
      assert.equal(plain.body.error, 'invalid_code');
      assert.equal(plain.body.reason, undefined, JSON.stringify(plain.body));

      const bHealth = await healthOf(w.b);
      assert.deepEqual([bHealth.status, bHealth.clock], ['ok', 'skewed']);
      assert.ok(Math.abs(bHealth.clockErrorSeconds! - 45) <= 3, String(bHealth.clockErrorSeconds));
      assert.deepEqual(await healthOf(w.a), { status: 'ok', clock: 'ok' });
      const bGauge = await gaugeOf(w.b);
      assert.ok(Math.abs(bGauge - 45) <= 3, `B's gauge: ${bGauge}`);
      const aGauge = await gaugeOf(w.a);
      assert.ok(Math.abs(aGauge) <= 3, `A's gauge: ${aGauge}`);

      // The operator corrects B's clock: at the next heartbeats the notice has nothing to say.
      w.skew.b = 0;
      await w.heartbeats();
      await w.heartbeats();
      const fixed = await w.report();
      assert.deepEqual(
        fixed.instances.map((i) => i.skewed),
        [false, false],
        JSON.stringify(fixed.instances),
      );
      assert.deepEqual(await healthOf(w.b), { status: 'ok', clock: 'ok' });
      const fixedGauge = await gaugeOf(w.b);
      assert.ok(Math.abs(fixedGauge) <= 3, `B's gauge once fixed: ${fixedGauge}`);
    });

    it('counts the phones only once a quorum of accounts agrees', async () => {
      const w = await world(45_000);
      for (let i = 0; i < 4; i++) await w.enrolThrough(w.b, `user${i}@example.com`);
      let estimate = await w.b.app.clockHealth.refresh();
      assert.deepEqual([estimate.witnesses.phones.accounts, estimate.witnesses.phones.quorum, estimate.phonesBacking], [4, false, 0]);
      assert.ok(!estimate.backedBy.includes('phones'), JSON.stringify(estimate.backedBy));
      // Alone on SQLite, four phones are not enough to call the clock off; PostgreSQL's clock is.
      assert.equal(estimate.skewed, postgres);

      await w.enrolThrough(w.b, 'user4@example.com');
      estimate = await w.b.app.clockHealth.refresh();
      assert.deepEqual([estimate.witnesses.phones.accounts, estimate.witnesses.phones.quorum, estimate.phonesBacking], [5, true, 5]);
      assert.ok(estimate.backedBy.includes('phones'), JSON.stringify(estimate.backedBy));
      assert.equal(estimate.skewed, true);
      assert.ok(estimate.errorSeconds! >= 30 && estimate.errorSeconds! <= 60, String(estimate.errorSeconds));
    });

    it('forgets an instance that stops, or whose heartbeat stops', async () => {
      const w = await world(45_000);
      await w.heartbeats();
      assert.equal((await w.report()).instances.length, 2);
      await w.b.app.clockHealth.stop();
      assert.deepEqual(
        (await w.report()).instances.map((i) => i.self),
        [true],
        'a stopped instance removes its heartbeat',
      );
      if (!postgres) {
        // Killed without a word: its row stays, but it stops changing.
        await w.b.app.clockHealth.refresh().catch(() => {});
        const c = new ClockHealthService({
          db: w.a.s.db,
          dialect: w.a.s.dialect,
          acceptedCodes: (sinceStep, limit) => w.a.s.twoFactor.recentAcceptedCodes(sinceStep, limit),
          clock: () => w.a.s.clock(),
          gauge: new Gauge({ name: 'g', help: 'g', registers: [] }),
          log: { warn() {}, info() {} },
          name: 'c:3003',
        });
        await c.refresh();
        assert.equal((await w.report()).instances.length, 2);
        w.advance(31_000);
        assert.equal((await w.report()).instances.length, 1, 'no heartbeat for 30 s: gone');
        await c.stop();
      }
    });

    it('logs one line per change of state', async () => {
      const w = await world(0);
      const lines: Array<{ level: string; message: string }> = [];
      const skew = { ms: 50_000 };
      const service = new ClockHealthService({
        db: w.a.s.db,
        dialect: w.a.s.dialect,
        acceptedCodes: (sinceStep, limit) => w.a.s.twoFactor.recentAcceptedCodes(sinceStep, limit),
        clock: () => w.a.s.clock() + skew.ms,
        gauge: new Gauge({ name: 'gatehouse_clock_error_seconds', help: 'test', registers: [] }),
        log: { warn: (_d, message) => lines.push({ level: 'warn', message }), info: (_d, message) => lines.push({ level: 'info', message }) },
        name: 'c:3003',
      });
      await w.heartbeats();
      for (let i = 0; i < 3; i++) await service.refresh();
      assert.equal(lines.length, 1, JSON.stringify(lines));
      assert.equal(lines[0]!.level, 'warn');
      assert.match(lines[0]!.message, /c:3003\) seems about 50 s ahead: codes from phones may fail\. Correct the time on the server \(NTP\)\./);
      skew.ms = 0;
      for (let i = 0; i < 3; i++) {
        await w.heartbeats();
        await service.refresh();
      }
      assert.deepEqual(
        lines.map((l) => l.level),
        ['warn', 'info'],
      );
      await service.stop();
    });

    it('answers administrators only, and validates its query', async () => {
      const w = await world(0);
      assert.equal((await new Client(w.a.app).get('/api/admin/clock')).status, 401);
      await seedUser(w.a.s, 'someone@example.com');
      const user = new Client(w.a.app);
      await user.signIn('someone@example.com');
      assert.equal((await user.get('/api/admin/clock')).status, 403);
      assert.equal((await w.admin.get('/api/admin/clock?extra=1')).status, 400);
      const report = await w.report();
      assert.equal(report.instances[0]!.self, true);
    });
  });
}
