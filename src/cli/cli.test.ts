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
import { Client, STRONG_PASSWORD, resetSettings, seedUser, startTestApp, uniqueEmail } from '../test-support/harness.js';
import { clockEnv, realClock } from '../test-support/processes.js';
import { phoneCode } from '../test-support/authenticator.js';

/** tsx by absolute address: the child may run in another folder. */
const TSX = import.meta.resolve('tsx');
const ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'run.ts');

for (const dialect of DIALECTS) {
  describe(`gatehouse CLI on ${dialect.name}`, { skip: dialect.skip }, () => {
    let database: TestDatabase;
    const masterKey = randomBytes(32);
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cli-'));
    const env = () => ({
      PATH: process.env.PATH ?? '',
      ...clockEnv(),
      GATEHOUSE_DATABASE_URL: database.url,
      GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64'),
    });
    const gatehouse = (args: string[], input?: string, extraEnv: Record<string, string> = {}) =>
      spawnSync(process.execPath, ['--import', TSX, ENTRY, ...args], { cwd, env: { ...env(), ...extraEnv }, input, encoding: 'utf8' });

    // The commands run on the real clock, so an app beside them here does too (realClock).
    const app = () => startTestApp({ url: database.url, masterKey, clock: realClock });
    const countUsers = async () => {
      const t = await app();
      try {
        return (await t.s.db.selectFrom('users').select(t.s.db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
      } finally {
        await t.close();
      }
    };

    before(async () => {
      database = await dialect.create();
      await (await app()).close(); // migrated, with this key
    });
    after(async () => {
      await database?.drop();
      fs.rmSync(cwd, { recursive: true, force: true });
    });

    it('migrates, creates an admin from stdin and prints its id', async () => {
      const fresh = await dialect.create();
      try {
        const run = (args: string[], input?: string) => gatehouse(args, input, { GATEHOUSE_DATABASE_URL: fresh.url });
        const migrate = run(['migrate']);
        assert.equal(migrate.status, 0, migrate.stderr);
        const email = uniqueEmail('boss');
        const created = run(['user', 'create', '--email', email.toUpperCase(), '--role', 'admin', '--password-stdin'], `${STRONG_PASSWORD}\n`);
        assert.equal(created.status, 0, created.stderr);
        assert.match(created.stdout.trim(), /^[0-9a-f-]{36}$/);
        const t = await startTestApp({ url: fresh.url, masterKey, clock: realClock });
        try {
          const user = await t.s.db.selectFrom('users').select(['id', 'email', 'role']).executeTakeFirstOrThrow();
          assert.deepEqual(user, { id: created.stdout.trim(), email, role: 'admin' });
          assert.equal((await t.client().signIn(email)).status, 200, 'the password came from stdin, without its newline');
        } finally {
          await t.close();
        }
      } finally {
        await fresh.drop();
      }
    });

    it('refuses a duplicate email, a bad role, a weak password and missing flags: one line, non-zero, nothing written', async () => {
      const boss = uniqueEmail('boss');
      const t = await app();
      await seedUser(t.s, boss, 'admin');
      await t.close();
      const ghost = uniqueEmail('ghost');
      const users = await countUsers();
      const cases: Array<[string[], string | undefined, RegExp]> = [
        [['user', 'create', '--email', boss, '--role', 'admin', '--password-stdin'], STRONG_PASSWORD, /already exists/],
        [['user', 'create', '--email', 'new@example.com', '--role', 'owner', '--password-stdin'], STRONG_PASSWORD, /--role must be admin or user/],
        [['user', 'create', '--email', 'new@example.com', '--role', 'user', '--password-stdin'], 'password123', /too common/],
        [['user', 'create', '--email', 'new@example.com', '--role', 'user'], undefined, /--password-stdin is required/],
        [['user', 'create', '--role', 'user', '--password-stdin'], STRONG_PASSWORD, /--email is required/],
        [['user', 'unlock', '--email', ghost], undefined, new RegExp(`no user with email ${ghost}`)],
        [['user', 'disable-2fa', '--email', ghost], undefined, /no user/],
        [['frobnicate'], undefined, /unknown command/],
      ];
      for (const [args, input, message] of cases) {
        const r = gatehouse(args, input);
        assert.notEqual(r.status, 0, args.join(' '));
        assert.match(r.stderr, message);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      }
      assert.match(gatehouse(['migrate'], undefined, { GATEHOUSE_PORT: 'x' }).stderr, /^gatehouse: GATEHOUSE_PORT: "x" is not a whole number/);
      assert.equal(await countUsers(), users, 'nothing written');
    });

    it('unlocks a locked account and turns 2FA off (break-glass)', async () => {
      const t = await app();
      try {
        await resetSettings([t], { passwordAttempts: 5 });
        const boss = uniqueEmail('boss');
        await seedUser(t.s, boss, 'admin');
        const c = t.client();
        await c.signIn(boss);
        await c.stepUp();
        const key = (await c.post('/api/me/2fa/setup')).body.key as string;
        assert.equal((await c.post('/api/me/2fa/enable', { code: phoneCode(key, t.s.clock()) })).status, 200);
        for (let i = 0; i < 5; i++) await t.client().signIn(boss, 'wrong-password-123');
        assert.equal((await t.client().signIn(boss)).status, 429);

        const unlock = gatehouse(['user', 'unlock', '--email', boss]);
        assert.equal(unlock.status, 0, unlock.stderr);
        assert.equal((await t.client().signIn(boss)).body.status, 'second_factor_required');

        // A block is lifted by `user unblock` (unlock leaves it).
        const member = await seedUser(t.s, 'blocked-member@example.com');
        await t.s.users.update(member, { blocked: true }, 'cli', null);
        assert.equal((await new Client(t.app).signIn('blocked-member@example.com')).body.error, 'invalid_credentials');
        assert.equal(gatehouse(['user', 'unlock', '--email', 'blocked-member@example.com']).status, 0);
        assert.equal((await new Client(t.app).signIn('blocked-member@example.com')).body.error, 'invalid_credentials', 'unlock does not unblock');
        const unblock = gatehouse(['user', 'unblock', '--email', 'blocked-member@example.com']);
        assert.equal(unblock.status, 0, unblock.stderr);
        assert.match(unblock.stdout, /blocked-member@example\.com is unblocked/);
        assert.equal((await new Client(t.app).signIn('blocked-member@example.com')).status, 200);

        const off = gatehouse(['user', 'disable-2fa', '--email', boss.toUpperCase()]);
        assert.equal(off.status, 0, off.stderr);
        assert.equal((await t.client().signIn(boss)).body.status, 'authenticated');
        const again = gatehouse(['user', 'disable-2fa', '--email', boss]);
        assert.notEqual(again.status, 0);
        assert.match(again.stderr, /not on/);
        const events = await t.s.db.selectFrom('audit_events').selectAll().where('kind', '=', '2fa.disabled').where('subject_email', '=', boss).execute();
        assert.equal(events.length, 1);
        assert.equal(events[0]!.actor_id, null, 'the CLI is no account');
        assert.equal(events[0]!.actor_kind, 'cli', 'but the command line is the actor');
        assert.equal(JSON.parse(events[0]!.details).by, 'cli');
      } finally {
        await t.close();
      }
    });

    it('invites with `user invite` (no SMTP here): prints the link, which makes the account as asked; bad flags and a taken email refused', async () => {
      const t = await app();
      try {
        await t.s.groups.create('cli-invited', 'cli', null);
        const person = uniqueEmail('invited');
        const run = gatehouse([
          'user',
          'invite',
          person,
          '--group',
          'cli-invited',
          '--role',
          'admin',
          '--require-2fa',
          '--locale',
          'es',
          '--name',
          'Ana "la jefa", Pérez',
        ]);
        assert.equal(run.status, 0, run.stderr);
        const link = /^(http\S+\/invitation\?token=[A-Za-z0-9_-]+)$/m.exec(run.stdout)?.[1];
        assert.ok(link, run.stdout);
        const token = new URL(link).searchParams.get('token')!;
        const browser = t.client();
        const preview = (await browser.post('/api/invitations/preview', { token })).body;
        assert.deepEqual(
          { email: preview.email, name: preview.displayName, twoFactor: preview.requireTwoFactor, locale: preview.locale },
          { email: person, name: 'Ana "la jefa", Pérez', twoFactor: true, locale: 'es' },
        );
        const accepted = await browser.post('/api/invitations/accept', { token, password: 'a-password-of-my-own-31' });
        assert.equal(accepted.body.status, 'two_factor_setup_required', JSON.stringify(accepted.body));
        const user = await t.s.users.findByEmail(person);
        assert.equal(user?.role, 'admin');
        assert.deepEqual(await t.s.groups.namesOf(user!.id), ['cli-invited']);

        for (const [args, message] of [
          [['user', 'invite', uniqueEmail('x'), '--role', 'boss'], /--role must be admin or user/],
          [['user', 'invite', uniqueEmail('x'), '--locale', 'fr'], /--locale must be en or es/],
          [['user', 'invite'], /user invite takes one EMAIL/],
          [['user', 'invite', person], /already has an account/],
          [['user', 'invite', uniqueEmail('x'), '--group', 'no-such-group'], /there is no group named "no-such-group"/],
        ] as const) {
          const refused = gatehouse([...args]);
          assert.notEqual(refused.status, 0, args.join(' '));
          assert.match(refused.stderr, message);
        }
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
