// PostgreSQL stopped for 10 s and started again while two instances serve sign-ins, 2FA flows and
// session checks. During the outage every answer is a fast 503 `unavailable` (never a 500, never
// "wrong password", never a hang), /healthz says 503; afterwards both instances recover without a
// restart and the database holds exactly what the clients were told: each failure answered 401
// counted once, each code accepted used (refused when replayed), the mail the server accepted
// during the outage marked sent once. The test runs its own PostgreSQL cluster (initdb as the
// postgres user) so that stopping it disturbs nothing else.
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
import { HttpClient, type HttpAnswer, freePort, realClock, startServerProcess, type ServerProcess } from '../../src/test-support/processes.js';
import { startSmtp, type TestSmtp } from '../../src/test-support/smtp.js';

const PG_BIN = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'].find((d) => fs.existsSync(path.join(d, 'initdb')));
const canRun = PG_BIN !== undefined && process.getuid?.() === 0 && fs.existsSync('/usr/sbin/runuser');
const skip = skipUnless(canRun, 'PostgreSQL faults: needs initdb and root (to run it as the postgres user)');

const OUTAGE_MS = 10_000;
/** No answer may take longer (the pool's connection timeout is 3 s, a statement's 10 s). */
const ANSWER_BOUND_MS = 12_000;

function asPostgres(command: string, args: string[]): string {
  return execFileSync('/usr/sbin/runuser', ['-u', 'postgres', '--', path.join(PG_BIN!, command), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

interface Seen {
  what: string;
  status: number;
  error: string | null;
  ms: number;
  /** The code sent, for second steps. */
  code?: string;
}

describe('PostgreSQL stopped and started under load', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-pgfault-'));
  const data = path.join(dir, 'data');
  let port = 0;
  let url = '';
  const servers: ServerProcess[] = [];
  let smtp: TestSmtp;
  /** While set, the SMTP server holds each message before its "250 OK" until `release()`. */
  let hold: { arrived: (messageId: string) => void; released: Promise<void> } | null = null;
  const ids: Record<string, string> = {};
  let totpKey = '';

  const startPg = () =>
    asPostgres('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start']);
  const stopPg = () => asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  const query = async (text: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(text, values)).rows;
    } finally {
      await client.end();
    }
  };

  before(async () => {
    fs.chmodSync(dir, 0o777);
    port = await freePort();
    asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    startPg();
    url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    smtp = await startSmtp({
      beforeAccept: async (mail) => {
        const current = hold;
        if (current) {
          current.arrived(mail.messageId);
          await current.released;
        }
      },
    });
    const masterKey = randomBytes(32);
    const seed = await startTestApp({ url, masterKey, clock: realClock });
    for (const name of ['steady', 'wrong', 'totp', 'mailer']) ids[name] = (await seedUser(seed.s, `${name}@example.com`)).id;
    await seed.close();
    const env = { GATEHOUSE_DATABASE_URL: url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64'), GATEHOUSE_SMTP_URL: smtp.url };
    servers.push(await startServerProcess(env), await startServerProcess(env));
    const totp = new HttpClient(servers[0]!.baseUrl);
    assert.equal((await totp.post('/api/session', { email: 'totp@example.com', password: STRONG_PASSWORD })).status, 200);
    // Enrolled on the previous step, so that the load's first code is new.
    totpKey = (await enrolTwoFactor(totp, { at: Date.now() - 30_000 })).key;
    await smtp.waitFor(1, { to: 'totp@example.com' });
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await smtp?.stop();
    try {
      stopPg();
    } catch {
      // already stopped
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 fast while the database is down, recovers without a restart, and keeps exactly what it answered', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const steady = new HttpClient(a.baseUrl);
    assert.equal((await steady.post('/api/session', { email: 'steady@example.com', password: STRONG_PASSWORD })).status, 200);
    for (const server of servers) assert.equal((await new HttpClient(server.baseUrl).get('/healthz')).status, 200);

    // A message on its way: the worker claimed it and the SMTP server is holding its answer.
    let release!: () => void;
    const arrived = new Promise<string>((resolve) => {
      hold = { arrived: resolve, released: new Promise<void>((r) => (release = r)) };
    });
    const mailer = new HttpClient(b.baseUrl);
    assert.equal((await mailer.post('/api/session', { email: 'mailer@example.com', password: STRONG_PASSWORD })).status, 200);
    await enrolTwoFactor(mailer, { at: Date.now() });
    const heldId = await arrived;
    // The outbox row's id is the Message-ID's local part (mail-worker.ts: a stable Message-ID).
    const outboxId = /^<([^@>]+)@/.exec(heldId)?.[1];
    assert.ok(outboxId, `a Gatehouse Message-ID: ${heldId}`);

    const seen: Seen[] = [];
    let loading = true;
    const timed = async (what: string, ask: () => Promise<HttpAnswer>, code?: string) => {
      const started = performance.now();
      let answer: HttpAnswer;
      try {
        answer = await ask();
      } catch (error) {
        // No answer at all (the connection dropped): recorded, and refused below.
        seen.push({ what, status: 0, error: String((error as Error & { cause?: unknown }).cause ?? error), ms: performance.now() - started });
        return { status: 0, body: null, headers: new Headers() };
      }
      seen.push({ what, status: answer.status, error: answer.body?.error ?? null, ms: performance.now() - started, ...(code ? { code } : {}) });
      return answer;
    };
    const loop = async (body: (round: number) => Promise<void>) => {
      for (let round = 0; loading; round++) {
        await body(round);
        await sleep(150);
      }
    };
    const load = Promise.all([
      loop((i) => timed('session check', () => (i % 2 ? steady : new HttpClient(b.baseUrl)).get('/api/session')).then(() => {})),
      loop(async (i) => {
        const server = i % 2 ? a : b;
        await timed('wrong password', () => new HttpClient(server.baseUrl).post('/api/session', { email: 'wrong@example.com', password: `not-it-${i}` }));
      }),
      loop(async (i) => {
        const server = i % 2 ? b : a;
        await timed('right password', () => new HttpClient(server.baseUrl).post('/api/session', { email: 'steady@example.com', password: STRONG_PASSWORD }));
      }),
      loop(async (i) => {
        const client = new HttpClient((i % 2 ? a : b).baseUrl);
        const first = await timed('2fa password', () => client.post('/api/session', { email: 'totp@example.com', password: STRONG_PASSWORD }));
        if (first.status !== 200) return;
        const code = phoneCode(totpKey, Date.now());
        const second = await timed('2fa code', () => client.post('/api/session/second-factor', { code }), code);
        // A code works once: the next flow waits for the phone's next one (a reused code would
        // count as a failure and lock the account, which is not what this test is about).
        if (second.status === 200) await sleep(30_000 - (Date.now() % 30_000) + 200);
      }),
    ]);

    await sleep(1500);
    stopPg();
    const downAt = performance.now();
    const down = await Promise.all([
      new HttpClient(a.baseUrl).get('/healthz'),
      new HttpClient(b.baseUrl).get('/healthz'),
      new HttpClient(a.baseUrl).post('/api/session', { email: 'steady@example.com', password: STRONG_PASSWORD }),
    ]).catch((error: unknown) => {
      throw new Error(
        `no answer during the outage: ${String((error as Error).cause ?? error)}\n${servers.map((s) => s.output().slice(-6000)).join('\n----\n')}`,
      );
    });
    assert.deepEqual(
      down.map((r) => r.status),
      [503, 503, 503],
    );
    assert.ok(!JSON.stringify(down.map((r) => r.body)).includes('ECONNREFUSED'), 'no driver detail leaks');
    // The SMTP server accepts the held message while the database is away: the mark must wait.
    await sleep(2000);
    hold = null;
    release();
    await sleep(Math.max(0, OUTAGE_MS - (performance.now() - downAt)));
    startPg();

    const recovered = await Promise.all(
      servers.map(async (server) => {
        for (let i = 0; i < 80; i++) {
          if ((await new HttpClient(server.baseUrl).get('/healthz')).status === 200) return true;
          await sleep(250);
        }
        return false;
      }),
    );
    assert.deepEqual(recovered, [true, true], 'both instances recover without a restart');
    await sleep(2000);
    loading = false;
    await load;

    // Every answer was an ordinary one or the documented 503, within the bound.
    const odd = seen.filter((s) => s.status === 0 || (s.status >= 500 && !(s.status === 503 && s.error === 'unavailable')));
    assert.deepEqual(odd, [], `no 5xx but 503 unavailable, always an answer\n${servers.map((s) => s.output().slice(-4000)).join('\n----\n')}`);
    const slow = seen.filter((s) => s.ms > ANSWER_BOUND_MS);
    assert.deepEqual(slow, [], 'no answer past the bound');
    assert.ok(
      seen.some((s) => s.status === 503),
      'the load did meet the outage',
    );
    assert.deepEqual(
      seen.filter((s) => s.what === 'right password' && s.status !== 200 && s.status !== 503),
      [],
      'the right password is never "wrong" because the database is away',
    );

    // The database holds what the clients were told. A failure answered 401 was counted; one
    // answered 503 was not, but for an attempt whose commit was cut by the stop itself (at most
    // the attempts in flight at that instant, one per loop): the client cannot know either way.
    const wrong = seen.filter((s) => s.what === 'wrong password');
    const told = wrong.filter((s) => s.status === 401).length;
    const cut = wrong.filter((s) => s.status === 503).length;
    const [counter] = (await query('select password_failures from attempt_counters where key = $1', [`u:${ids.wrong}`])) as [{ password_failures: number }];
    assert.ok(told > 0, 'some wrong passwords were answered');
    assert.ok(
      counter.password_failures >= told && counter.password_failures <= told + Math.min(cut, 1),
      `failures counted ${counter.password_failures}, answered 401: ${told}, answered 503: ${cut}`,
    );

    // Each code accepted is used: replayed on either instance it is refused.
    const accepted = seen.filter((s) => s.what === '2fa code' && s.status === 200).map((s) => s.code!);
    assert.ok(accepted.length > 0, 'some 2FA flows completed');
    assert.equal(new Set(accepted).size, accepted.length, 'no code was accepted twice');
    for (const [i, code] of accepted.entries()) {
      const replay = new HttpClient(servers[i % 2]!.baseUrl);
      assert.equal((await replay.post('/api/session', { email: 'totp@example.com', password: STRONG_PASSWORD })).status, 200);
      assert.equal((await replay.post('/api/session/second-factor', { code })).status, 401, `code ${code} replayed after the outage`);
    }

    // The message the SMTP server accepted during the outage: marked sent once the database is
    // back (not left claimed, to be sent again when its lease runs out), and received once.
    let rows: Array<{ status: string }> = [];
    for (let i = 0; i < 40; i++) {
      rows = (await query('select status from mail_outbox where id = $1', [outboxId])) as Array<{ status: string }>;
      if (rows.every((r) => r.status === 'sent')) break;
      await sleep(250);
    }
    assert.deepEqual(
      rows.map((r) => r.status),
      ['sent'],
    );
    assert.equal(smtp.received.filter((m) => m.messageId === heldId).length, 1, 'received once');

    // And the session from before the outage still works on both instances.
    assert.equal((await steady.get('/api/session')).status, 200);
    const onB = new HttpClient(b.baseUrl);
    onB.cookie = steady.cookie;
    assert.equal((await onB.get('/api/session')).status, 200);
  });
});
