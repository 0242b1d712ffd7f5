// The gatehouse command, run as a user would: a real process, real database, stdin for the password.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIALECTS, type TestDatabase } from '../test-support/databases.js';
import { Client, STRONG_PASSWORD, seedUser, startTestApp } from '../test-support/harness.js';
import { phoneCode } from '../test-support/authenticator.js';

/** tsx by absolute address: the child may run in another folder. */
const TSX = import.meta.resolve('tsx');
const ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'run.ts');

for (const dialect of DIALECTS) {
  describe(`gatehouse CLI on ${dialect.name}`, { skip: dialect.skip }, () => {
    let database: TestDatabase;
    const masterKey = randomBytes(32);
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cli-'));
    const env = () => ({ PATH: process.env.PATH ?? '', GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') });
    const gatehouse = (args: string[], input?: string, extraEnv: Record<string, string> = {}) =>
      spawnSync(process.execPath, ['--import', TSX, ENTRY, ...args], { cwd, env: { ...env(), ...extraEnv }, input, encoding: 'utf8' });

    before(async () => {
      database = await dialect.create();
    });
    after(async () => {
      await database?.drop();
      fs.rmSync(cwd, { recursive: true, force: true });
    });

    it('migrates, creates an admin from stdin and prints its id', () => {
      const migrate = gatehouse(['migrate']);
      assert.equal(migrate.status, 0, migrate.stderr);
      const created = gatehouse(['user', 'create', '--email', 'Boss@Example.com', '--role', 'admin', '--password-stdin'], `${STRONG_PASSWORD}\n`);
      assert.equal(created.status, 0, created.stderr);
      assert.match(created.stdout.trim(), /^[0-9a-f-]{36}$/);
    });

    it('refuses a duplicate email, a bad role, a weak password and missing flags: one line, non-zero, nothing written', () => {
      const cases: Array<[string[], string | undefined, RegExp]> = [
        [['user', 'create', '--email', 'boss@example.com', '--role', 'admin', '--password-stdin'], STRONG_PASSWORD, /already exists/],
        [['user', 'create', '--email', 'new@example.com', '--role', 'owner', '--password-stdin'], STRONG_PASSWORD, /--role must be admin or user/],
        [['user', 'create', '--email', 'new@example.com', '--role', 'user', '--password-stdin'], 'password123', /too common/],
        [['user', 'create', '--email', 'new@example.com', '--role', 'user'], undefined, /--password-stdin is required/],
        [['user', 'create', '--role', 'user', '--password-stdin'], STRONG_PASSWORD, /--email is required/],
        [['user', 'unlock', '--email', 'ghost@example.com'], undefined, /no user with email ghost@example.com/],
        [['user', 'disable-2fa', '--email', 'ghost@example.com'], undefined, /no user/],
        [['frobnicate'], undefined, /unknown command/],
      ];
      for (const [args, input, message] of cases) {
        const r = gatehouse(args, input);
        assert.notEqual(r.status, 0, args.join(' '));
        assert.match(r.stderr, message);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      }
      assert.match(gatehouse(['migrate'], undefined, { GATEHOUSE_PORT: 'x' }).stderr, /^gatehouse: GATEHOUSE_PORT: "x" is not a whole number/);
    });

    it('unlocks a locked account and turns 2FA off (break-glass)', async () => {
      const t = await startTestApp({ url: database.url, masterKey });
      try {
        const c = new Client(t.app);
        await c.signIn('boss@example.com');
        await c.stepUp();
        const key = (await c.post('/api/me/2fa/setup')).body.key as string;
        assert.equal((await c.post('/api/me/2fa/enable', { code: phoneCode(key, Date.now()) })).status, 200);
        for (let i = 0; i < 5; i++) await new Client(t.app).signIn('boss@example.com', 'wrong-password-123');
        assert.equal((await new Client(t.app).signIn('boss@example.com')).status, 429);

        const unlock = gatehouse(['user', 'unlock', '--email', 'boss@example.com']);
        assert.equal(unlock.status, 0, unlock.stderr);

        // A block is lifted by `user unblock` (unlock leaves it).
        const member = await seedUser(t.s, 'blocked-member@example.com');
        await t.s.users.update(member, { blocked: true }, 'cli', null);
        assert.equal((await new Client(t.app).signIn('blocked-member@example.com')).body.error, 'blocked');
        assert.equal(gatehouse(['user', 'unlock', '--email', 'blocked-member@example.com']).status, 0);
        assert.equal((await new Client(t.app).signIn('blocked-member@example.com')).body.error, 'blocked', 'unlock does not unblock');
        const unblock = gatehouse(['user', 'unblock', '--email', 'blocked-member@example.com']);
        assert.equal(unblock.status, 0, unblock.stderr);
        assert.match(unblock.stdout, /blocked-member@example\.com is unblocked/);
        assert.equal((await new Client(t.app).signIn('blocked-member@example.com')).status, 200);
        assert.equal((await new Client(t.app).signIn('boss@example.com')).body.status, 'second_factor_required');

        const off = gatehouse(['user', 'disable-2fa', '--email', 'BOSS@example.com']);
        assert.equal(off.status, 0, off.stderr);
        assert.equal((await new Client(t.app).signIn('boss@example.com')).body.status, 'authenticated');
        const again = gatehouse(['user', 'disable-2fa', '--email', 'boss@example.com']);
        assert.notEqual(again.status, 0);
        assert.match(again.stderr, /not on/);
        const events = await t.s.db.selectFrom('audit_events').selectAll().where('kind', '=', '2fa.disabled').execute();
        assert.equal(events.length, 1);
        assert.equal(events[0]!.actor_id, null, 'the CLI is no account');
        assert.equal(events[0]!.actor_kind, 'cli', 'but the command line is the actor');
        assert.equal(JSON.parse(events[0]!.details).by, 'cli');
      } finally {
        await t.close();
      }
    });
  });
}

describe('gatehouse CLI key file (SQLite default)', () => {
  it('creates the key once with mode 0600 and refuses a damaged one', () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-key-'));
    try {
      const run = () => spawnSync(process.execPath, ['--import', TSX, ENTRY, 'migrate'], { cwd, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
      assert.equal(run().status, 0);
      const keyFile = path.join(cwd, 'data', 'gatehouse.key');
      assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
      const key = fs.readFileSync(keyFile, 'utf8');
      assert.equal(Buffer.from(key.trim(), 'base64').length, 32);
      assert.equal(run().status, 0);
      assert.equal(fs.readFileSync(keyFile, 'utf8'), key, 'kept, not replaced');
      fs.writeFileSync(keyFile, 'c2hvcnQ=\n');
      const damaged = run();
      assert.notEqual(damaged.status, 0);
      assert.match(damaged.stderr, /gatehouse\.key: must hold 32 bytes/);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });
});
