// The restore drill on SQLite, as an operator would run it: a real server with sign-ins and
// second steps (app codes and backup codes) going on while `gatehouse backup` copies the database,
// then `gatehouse backup verify`, `gatehouse restore` into a fresh data folder, and a server on
// it. Every account, factor, backup code count, setting and audit row is as the backup caught them
// (and the backup is one moment of the live database: nothing from after it, nothing lost before it).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { STRONG_PASSWORD, enrolTwoFactor, seedUser, startTestApp } from '../../src/test-support/harness.js';
import { HttpClient, clockEnv, realClock, startServerProcess } from '../../src/test-support/processes.js';
import { phoneCode } from '../../src/test-support/authenticator.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TSX = import.meta.resolve('tsx');
const ENTRY = path.join(ROOT, 'src', 'cli', 'run.ts');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-drill-'));
const keyFile = path.join(dir, 'secrets', 'gatehouse.key');
const liveDb = path.join(dir, 'live', 'gatehouse.db');
const freshDb = path.join(dir, 'fresh', 'data', 'gatehouse.db');
const backupFile = path.join(dir, 'backups', 'gatehouse-backup.db');
const masterKey = randomBytes(32);
const envFor = (db: string) => ({ GATEHOUSE_DATABASE_URL: `sqlite:${db}`, GATEHOUSE_ENCRYPTION_KEY_FILE: keyFile });
/** `gatehouse …` as a separate process (asynchronous: the sign-ins keep going meanwhile). */
const gatehouse = (args: string[], db: string) =>
  run(process.execPath, ['--import', TSX, ENTRY, ...args], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...clockEnv(), ...envFor(db) }, encoding: 'utf8' });

const withTwoFactor = ['ana@example.com', 'ben@example.com', 'cai@example.com', 'dee@example.com'];
const passwordOnly = ['eve@example.com', 'fay@example.com'];
const enrolments = new Map<string, { key: string; backupCodes: string[] }>();

/** What the drill compares, read straight from a database file. */
function snapshot(file: string) {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    const all = (sql: string) => db.prepare(sql).all() as Array<Record<string, unknown>>;
    return {
      users: all('select id, email, role, password_hash, blocked, password_changed_at from users order by id'),
      factors: all('select user_id, secret_ciphertext, enabled_at from two_factor order by user_id'),
      codesLeft: all('select user_id, count(*) as n from backup_codes where used_at is null group by user_id order by user_id'),
      settings: all('select key, value from settings order by key'),
      audit: all('select * from audit_events order by id'),
      sessions: all('select token_hash, user_id from sessions order by token_hash'),
    };
  } finally {
    db.close();
  }
}

/** One person signing in and out again and again: password, then (with 2FA) their next backup code. */
async function churn(baseUrl: string, email: string, done: { signIns: number }, stop: { now: boolean }) {
  const codes = enrolments.get(email)?.backupCodes ?? [];
  for (let i = 0; !stop.now && i < 8; i++) {
    const client = new HttpClient(baseUrl);
    const first = await client.post('/api/session', { email, password: STRONG_PASSWORD });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    if (codes.length > 0) {
      const second = await client.post('/api/session/second-factor', { code: codes[i] });
      assert.equal(second.status, 200, `${email}, backup code ${i}: ${JSON.stringify(second.body)}`);
    }
    done.signIns++;
    await client.call('DELETE', '/api/session');
  }
}

describe('restore drill on SQLite: backup while people sign in, restore into a fresh folder', () => {
  before(async () => {
    fs.mkdirSync(path.dirname(keyFile), { recursive: true, mode: 0o700 });
    fs.writeFileSync(keyFile, `${masterKey.toString('base64')}\n`, { mode: 0o600 });
    const seed = await startTestApp({ url: `sqlite:${liveDb}`, masterKey, clock: realClock });
    await seed.s.settings.update({ passwordAttempts: 9, codeAttempts: 7, lockoutSeconds: 600, require2fa: 'admins', require2faGraceDays: 3 });
    for (const email of [...withTwoFactor, ...passwordOnly]) await seedUser(seed.s, email);
    for (const email of withTwoFactor) {
      const client = seed.client();
      await client.signIn(email);
      enrolments.set(email, await enrolTwoFactor(client, { at: realClock() }));
    }
    await seed.close();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('restores every account, factor, backup code count, setting and audit row as at the backup', async () => {
    const server = await startServerProcess(envFor(liveDb));
    const done = { signIns: 0 };
    const stop = { now: false };
    let work: Promise<unknown> = Promise.resolve();
    let before = 0;
    let afterBackup = 0;
    try {
      work = Promise.all([...withTwoFactor, ...passwordOnly].map((email) => churn(server.baseUrl, email, done, stop)));
      while (done.signIns < 6) await sleep(20);
      before = done.signIns;
      const backup = await gatehouse(['backup', '--to', backupFile], liveDb);
      afterBackup = done.signIns;
      assert.match(backup.stdout, /Backed up to .*schema \d{4}_\w+ .*key fingerprint [0-9a-f]{32}/);
      stop.now = true;
      await work;
    } finally {
      stop.now = true;
      await work.catch(() => {});
      assert.equal(await server.stop('SIGTERM'), 0, server.output());
    }
    assert.ok(afterBackup > before || done.signIns > before, 'sign-ins went on during and after the backup');

    const verify = await gatehouse(['backup', 'verify', backupFile], liveDb);
    assert.match(verify.stdout, /is sound: .*made with this installation's key/);

    // A fresh data folder, on another machine say: the key comes along separately, the database from the backup.
    const restored = await gatehouse(['restore', '--from', backupFile], freshDb);
    assert.match(restored.stdout, /Restored from /);

    const live = snapshot(liveDb);
    const copy = snapshot(backupFile);
    const fresh = snapshot(freshDb);
    assert.deepEqual(fresh, copy, 'the restore is the backup, row for row');
    assert.deepEqual(copy.users, live.users, 'every account');
    assert.deepEqual(copy.factors, live.factors, 'every factor');
    assert.deepEqual(copy.settings, live.settings, 'the authentication settings');
    // One moment of the live database: its audit rows are the live ones up to a point, nothing made up.
    const liveAudit = new Map(live.audit.map((row) => [row.id, row]));
    for (const row of copy.audit) assert.deepEqual(liveAudit.get(row.id), row);
    const signInsCaught = copy.audit.filter((row) => row.kind === 'sign_in.succeeded').length;
    const seeded = live.audit.filter((row) => row.kind === 'sign_in.succeeded').length - done.signIns;
    assert.ok(signInsCaught - seeded >= before, `the ${before} sign-ins finished before the backup began are in it (${signInsCaught - seeded})`);
    assert.ok(signInsCaught - seeded <= afterBackup + withTwoFactor.length + passwordOnly.length, 'nothing from well after it');

    // A server on the restored folder: the spent codes stay spent, the next one and the app work.
    const again = await startServerProcess(envFor(freshDb));
    try {
      for (const email of withTwoFactor) {
        const { key, backupCodes } = enrolments.get(email)!;
        const left = Number(copy.codesLeft.find((r) => r.user_id === copy.users.find((u) => u.email === email)!.id)?.n ?? 0);
        const spent = backupCodes.length - left;
        const client = new HttpClient(again.baseUrl);
        assert.equal((await client.post('/api/session', { email, password: STRONG_PASSWORD })).status, 200);
        if (spent > 0)
          assert.equal((await client.post('/api/session/second-factor', { code: backupCodes[spent - 1] })).status, 401, 'spent at the backup: spent');
        const next = await client.post('/api/session/second-factor', { code: backupCodes[spent] });
        assert.equal(next.status, 200, `${email}'s next backup code: ${JSON.stringify(next.body)}`);
        assert.equal(next.body.backupCodesLeft, left - 1);
        const app = new HttpClient(again.baseUrl);
        await app.post('/api/session', { email, password: STRONG_PASSWORD });
        const totp = await app.post('/api/session/second-factor', { code: phoneCode(key, realClock() + 30_000) });
        assert.equal(totp.status, 200, `${email}'s app code: ${JSON.stringify(totp.body)}`);
      }
      const plain = new HttpClient(again.baseUrl);
      assert.equal((await plain.post('/api/session', { email: passwordOnly[0], password: STRONG_PASSWORD })).status, 200);
    } finally {
      assert.equal(await again.stop('SIGTERM'), 0, again.output());
    }
  });
});
