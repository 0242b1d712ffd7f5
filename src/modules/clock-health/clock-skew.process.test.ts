// Real server processes on one PostgreSQL database, one of them under Debian's faketime (its
// whole process sees a shifted clock, as a server whose clock drifted would): the start-up
// refusal beyond the code window and its override, and a 45 s instance named by the other.
// The library is preloaded through the environment, as the `faketime` command does, rather than
// through the command itself: that one forks node as its child and does not pass SIGTERM on.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { DIALECTS, skipUnless, type TestDatabase } from '../../test-support/databases.js';
import { STRONG_PASSWORD, seedUser, startTestApp } from '../../test-support/harness.js';
import { HttpClient, startServerProcess, type ServerProcess } from '../../test-support/processes.js';
import type { ClockReport } from './clock-report.js';

const FAKETIME = '/usr/bin/faketime';
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const postgres = DIALECTS.find((d) => d.name === 'postgres')!;
const skip =
  postgres.skip ?? skipUnless(fs.existsSync(FAKETIME) && fs.existsSync(LIBFAKETIME), `faketime: ${LIBFAKETIME} is missing (apt-get install faketime)`);

async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('clock skew with real processes under faketime (PostgreSQL)', { skip }, () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  const servers: ServerProcess[] = [];

  before(async () => {
    database = await postgres.create();
    const masterKey = randomBytes(32);
    env = { GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') };
    const seed = await startTestApp({ url: database.url, masterKey });
    await seedUser(seed.s, 'admin@example.com', 'admin');
    await seed.close();
  });
  after(async () => {
    for (const server of servers) await server.stop();
    await database?.drop();
  });

  /** The environment that makes a process's clock run `offset` off ("+45s", "-90s"). */
  const skewed = (offset: string) => ({ LD_PRELOAD: LIBFAKETIME, FAKETIME: offset });

  it('faketime really shifts what Node reads as the time, as a command and as a preloaded library', () => {
    const print = ['-e', 'process.stdout.write(String(Date.now()))'];
    const runs = [
      spawnSync(FAKETIME, ['-f', '+90s', process.execPath, ...print], { encoding: 'utf8' }),
      spawnSync(process.execPath, print, { encoding: 'utf8', env: { ...process.env, ...skewed('+90s') } }),
    ];
    for (const run of runs) {
      const shift = Number(run.stdout) - Date.now();
      assert.ok(shift > 85_000 && shift < 95_000, `shift ${shift} ms (${run.stderr})`);
    }
  });

  it('refuses to start 90 s off the database clock, and says how to fix it', async () => {
    await assert.rejects(startServerProcess({ ...env, ...skewed('+90s') }), (error: Error) => {
      assert.match(error.message, /server exited with 1/);
      assert.match(error.message, /clock is about 9\d s ahead of the database server's, more than the 60 s/);
      assert.match(error.message, /NTP/);
      assert.match(error.message, /GATEHOUSE_ALLOW_CLOCK_SKEW=1/);
      return true;
    });
  });

  it('starts anyway with GATEHOUSE_ALLOW_CLOCK_SKEW=1, with a warning, and reports the skew', async (t) => {
    const server = await startServerProcess({ ...env, ...skewed('-90s'), GATEHOUSE_ALLOW_CLOCK_SKEW: '1' });
    servers.push(server);
    t.after(() => server.stop());
    assert.match(server.output(), /Starting anyway \(GATEHOUSE_ALLOW_CLOCK_SKEW=1\): this server's clock is about 9\d s behind/);
    const health = await until(async () => {
      const body = (await new HttpClient(server.baseUrl).get('/healthz')).body;
      return body.clock === 'skewed' ? body : undefined;
    }, 'the first heartbeat');
    assert.equal(health.status, 'ok');
    assert.ok(health.clockErrorSeconds <= -85 && health.clockErrorSeconds >= -95, String(health.clockErrorSeconds));
    assert.match(server.output(), /"level":40.*seems about 9\d s behind: codes from phones may fail/, 'a warning line in the log');
  });

  it('an instance 45 s ahead starts; the other names it, and keeps working', async () => {
    const a = await startServerProcess(env);
    const b = await startServerProcess({ ...env, ...skewed('+45s') });
    servers.push(a, b);
    const admin = new HttpClient(a.baseUrl);
    assert.equal((await admin.post('/api/session', { email: 'admin@example.com', password: STRONG_PASSWORD })).body.status, 'authenticated');
    const bPort = new URL(b.baseUrl).port;
    // Named by host:port; found once A has seen B's heartbeat.
    const report = await until(async () => {
      const body = (await admin.get('/api/admin/clock')).body as ClockReport;
      return body.instances.some((i) => i.name.endsWith(`:${bPort}`) && i.errorSeconds !== null) ? body : undefined;
    }, "B's heartbeat");
    const self = report.instances.find((i) => i.self)!;
    const other = report.instances.find((i) => i.name.endsWith(`:${bPort}`))!;
    assert.equal(self.skewed, false, JSON.stringify(report));
    assert.ok(other.skewed && Math.abs(other.errorSeconds! - 45) <= 2, JSON.stringify(other));
    const metrics = String((await new HttpClient(b.baseUrl).get('/metrics')).body);
    const gauge = Number(/^gatehouse_clock_error_seconds (\S+)$/m.exec(metrics)?.[1]);
    assert.ok(Math.abs(gauge - 45) <= 2, `B's gauge: ${gauge}`);
    assert.deepEqual((await new HttpClient(a.baseUrl).get('/healthz')).body, { status: 'ok', clock: 'ok' });
    assert.equal((await admin.get('/api/session')).status, 200, 'A keeps serving');
  });
});
