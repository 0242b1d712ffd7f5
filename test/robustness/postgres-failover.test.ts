// Failover to a streaming replica: a primary and a synchronous standby started here (initdb,
// pg_basebackup, as the postgres user, on loopback ports), two Gatehouse instances given both
// hosts with target_session_attrs=read-write. The primary is killed and the standby promoted:
// while there is no primary the instances answer 503 `unavailable` (never a 500, never "wrong
// password"), then both find the new primary without a restart, and what was committed before
// the kill is all there: the session, the failure counted, the TOTP step and the backup code used
// (still refused). docs/operations.md says why the standby must be synchronous.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { skipUnless } from '../../src/test-support/databases.js';
import { STRONG_PASSWORD, enrolTwoFactor, seedUser, startTestApp } from '../../src/test-support/harness.js';
import { phoneCode } from '../../src/test-support/authenticator.js';
import { HttpClient, freePort, realClock, startServerProcess, type ServerProcess } from '../../src/test-support/processes.js';

const PG_BIN = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'].find((d) => fs.existsSync(path.join(d, 'initdb')));
const canRun = PG_BIN !== undefined && process.getuid?.() === 0 && fs.existsSync('/usr/sbin/runuser');
const skip = skipUnless(canRun, 'PostgreSQL failover: needs initdb, pg_basebackup and root (to run them as the postgres user)');

function asPostgres(command: string, args: string[]): string {
  return execFileSync('/usr/sbin/runuser', ['-u', 'postgres', '--', path.join(PG_BIN!, command), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Asks until `ok` or the deadline; answers the last answer. */
async function until<T>(ask: () => Promise<T>, ok: (answer: T) => boolean, deadlineMs: number): Promise<T> {
  const end = performance.now() + deadlineMs;
  let answer = await ask();
  while (!ok(answer) && performance.now() < end) {
    await sleep(250);
    answer = await ask();
  }
  return answer;
}

describe('PostgreSQL failover to a synchronous streaming replica', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-failover-'));
  const primary = { data: path.join(dir, 'primary'), port: 0 };
  const standby = { data: path.join(dir, 'standby'), port: 0 };
  const servers: ServerProcess[] = [];
  const email = 'failover@example.com';
  let url = '';
  let userId = '';
  let key = '';
  let backupCodes: string[] = [];

  const start = (node: { data: string; port: number }, name: string) =>
    asPostgres('pg_ctl', [
      '-D',
      node.data,
      '-l',
      path.join(dir, `${name}.log`),
      '-w',
      '-o',
      `-p ${node.port} -k ${dir} -c listen_addresses=127.0.0.1 -c cluster_name=${name}`,
      'start',
    ]);
  const stopNow = (node: { data: string }) => {
    try {
      asPostgres('pg_ctl', ['-D', node.data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // not running
    }
  };
  const query = async (port: number, text: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    await client.connect();
    try {
      return (await client.query(text, values)).rows;
    } finally {
      await client.end();
    }
  };

  before(async () => {
    fs.chmodSync(dir, 0o777);
    primary.port = await freePort();
    standby.port = await freePort();
    asPostgres('initdb', ['-D', primary.data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    // Synchronous replication: a commit returns once the standby has it (docs/operations.md).
    fs.appendFileSync(
      path.join(primary.data, 'postgresql.conf'),
      "\nwal_level = replica\nmax_wal_senders = 5\nsynchronous_commit = on\nsynchronous_standby_names = '*'\n",
    );
    start(primary, 'primary');
    asPostgres('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', standby.data, '-R', '-X', 'stream', '--no-sync']);
    start(standby, 'standby');

    url = `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/postgres?target_session_attrs=read-write`;
    const masterKey = randomBytes(32);
    const seed = await startTestApp({ url: `postgres://postgres@127.0.0.1:${primary.port}/postgres`, masterKey, clock: realClock });
    userId = (await seedUser(seed.s, email)).id;
    await seed.close();
    const env = { GATEHOUSE_DATABASE_URL: url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') };
    servers.push(await startServerProcess(env), await startServerProcess(env));
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    stopNow(primary);
    stopNow(standby);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps everything committed before the kill, refuses a used code after it, and recovers by itself', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    // Before: 2FA on, a session, one wrong password counted, a TOTP step and a backup code used.
    const owner = new HttpClient(a.baseUrl);
    assert.equal((await owner.post('/api/session', { email, password: STRONG_PASSWORD })).status, 200);
    ({ key, backupCodes } = await enrolTwoFactor(owner, { at: Date.now() - 30_000 }));
    assert.equal((await new HttpClient(b.baseUrl).post('/api/session', { email, password: 'not-the-password-1' })).status, 401);

    const signedIn = new HttpClient(b.baseUrl);
    assert.equal((await signedIn.post('/api/session', { email, password: STRONG_PASSWORD })).status, 200);
    const code = phoneCode(key, Date.now());
    const second = await signedIn.post('/api/session/second-factor', { code });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const withBackup = new HttpClient(a.baseUrl);
    assert.equal((await withBackup.post('/api/session', { email, password: STRONG_PASSWORD })).status, 200);
    assert.equal((await withBackup.post('/api/session/second-factor', { code: backupCodes[0] })).status, 200);
    const before = await query(primary.port, 'select password_failures from attempt_counters where key = $1', [`u:${userId}`]);

    // The primary dies; until a standby is promoted there is no primary: fast, clear 503s.
    stopNow(primary);
    const started = performance.now();
    const during = await Promise.all([
      signedIn.get('/api/session'),
      new HttpClient(a.baseUrl).post('/api/session', { email, password: STRONG_PASSWORD }),
      new HttpClient(b.baseUrl).get('/healthz'),
    ]);
    assert.deepEqual(
      during.map((r) => r.status),
      [503, 503, 503],
      JSON.stringify(during.map((r) => r.body)),
    );
    assert.equal(during[1]!.body.error, 'unavailable', 'never "wrong password" while the database is away');
    assert.ok(performance.now() - started < 10_000, 'answered within the connection timeouts');

    asPostgres('pg_ctl', ['-D', standby.data, '-w', 'promote']);
    // As a failover manager does: the new primary has no standby yet, and with the copied
    // synchronous_standby_names every commit would wait for one (Gatehouse would answer 503 after
    // its statement timeout; docs/operations.md).
    await query(standby.port, "alter system set synchronous_standby_names = ''");
    await query(standby.port, 'select pg_reload_conf()');

    // Both instances find the new primary without a restart.
    for (const server of servers) {
      const health = await until(
        () => new HttpClient(server.baseUrl).get('/healthz'),
        (r) => r.status === 200,
        20_000,
      );
      assert.equal(health.status, 200, `${server.baseUrl} found the new primary`);
    }
    assert.equal((await signedIn.get('/api/session')).status, 200, 'the session committed before the kill is there');
    const moved = await query(standby.port, 'select password_failures from attempt_counters where key = $1', [`u:${userId}`]);
    assert.deepEqual(moved, before, 'the failure counted before the kill is counted once, not lost');

    // A used TOTP step and a used backup code stay used, on either instance.
    const replay = new HttpClient(a.baseUrl);
    const signIn = await replay.post('/api/session', { email, password: STRONG_PASSWORD });
    assert.equal(signIn.status, 200, `${JSON.stringify(signIn.body)}\n${a.output().slice(-3000)}`);
    const again = await replay.post('/api/session/second-factor', { code });
    assert.equal(again.status, 401, `the code used before the failover is refused: ${JSON.stringify(again.body)}`);
    const backupAgain = await replay.post('/api/session/second-factor', { code: backupCodes[0] });
    assert.equal(backupAgain.status, 401, 'the backup code used before the failover is refused');
    const fresh = await replay.post('/api/session/second-factor', { code: backupCodes[1] });
    assert.equal(fresh.status, 200, `writes go to the new primary: ${JSON.stringify(fresh.body)}`);
    const [{ left }] = (await query(standby.port, 'select count(*)::int as left from backup_codes where user_id = $1 and used_at is null', [userId])) as [
      { left: number },
    ];
    assert.equal(left, backupCodes.length - 2);
  });
});
