// The who-may-go-where commands, run as an operator would: `gatehouse group …` and `gatehouse
// access …` against a real database, each a new process. Bad input is one line on stderr, a
// non-zero exit, and nothing saved.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIALECTS, type TestDatabase } from '../test-support/databases.js';
import { describeCliError, runCli } from './main.js';
import type { AccessCheck, AccessOverview } from '../shared/api-types.js';
import { clockEnv } from '../test-support/processes.js';

const TSX = import.meta.resolve('tsx');
const ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'run.ts');

for (const dialect of DIALECTS) {
  describe(`gatehouse group and access commands on ${dialect.name}`, { skip: dialect.skip }, () => {
    let database: TestDatabase;
    const masterKey = randomBytes(32);
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-access-cli-'));
    const env = () => ({ GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') });
    /** The real command, in a new process (a few cases: each costs a start-up). */
    const spawned = (args: string[], input?: string) =>
      spawnSync(process.execPath, ['--import', TSX, ENTRY, ...args], {
        cwd,
        env: { PATH: process.env.PATH ?? '', ...clockEnv(), ...env() },
        input,
        encoding: 'utf8',
      });
    /** The same command in this process (runCli, what the binary runs), its output captured. */
    const gatehouse = async (args: string[]) => {
      Object.assign(process.env, env());
      const out: string[] = [];
      const write = process.stdout.write;
      // Only the command's own text: the test runner talks to its parent over this stdout too, in bytes.
      process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
        typeof chunk === 'string' ? out.push(chunk) > 0 : (write.call(process.stdout, chunk, ...(rest as [])) as boolean)) as typeof process.stdout.write;
      try {
        await runCli(args);
        return { status: 0, stdout: out.join(''), stderr: '' };
      } catch (error) {
        return { status: 1, stdout: out.join(''), stderr: `gatehouse: ${describeCliError(error)}\n` };
      } finally {
        process.stdout.write = write;
      }
    };
    const ok = async (args: string[]) => {
      const run = await gatehouse(args);
      assert.equal(run.status, 0, `${args.join(' ')}: ${run.stderr}`);
      return run.stdout;
    };
    const refused = async (args: string[], message: RegExp) => {
      const run = await gatehouse(args);
      assert.notEqual(run.status, 0, args.join(' '));
      assert.match(run.stderr, message, args.join(' '));
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    };
    const rules = async () => (JSON.parse(await ok(['access', 'list', '--json'])) as AccessOverview).applications.flatMap((a) => a.rules);
    const check = async (email: string, url: string, factors?: string) =>
      JSON.parse(await ok(['access', 'check', '--email', email, '--url', url, ...(factors ? ['--factors', factors] : []), '--json'])) as AccessCheck;

    before(async () => {
      database = await dialect.create();
      // The real binary once: a user made through it, and its exit status.
      const made = spawned(['user', 'create', '--email', 'alice@example.com', '--role', 'user', '--password-stdin'], 'correct horse battery staple');
      assert.equal(made.status, 0, made.stderr);
      // runCli reads the password from standard input, which this process has not got: bob through the service.
      const { bootstrap } = await import('../bootstrap.js');
      Object.assign(process.env, env());
      const s = await bootstrap({ log: () => {} });
      await s.users.create({ email: 'bob@example.com', password: 'correct horse battery staple', role: 'user' }, 'cli', null);
      await s.database.close();
    });
    after(async () => {
      await database?.drop();
      fs.rmSync(cwd, { recursive: true, force: true });
    });

    it('manages groups and their members', async () => {
      await ok(['group', 'create', 'family']);
      await ok(['group', 'create', 'admins-2']);
      assert.match(await ok(['group', 'add', 'family', 'Alice@Example.com']), /Added alice@example.com to family/);
      assert.match(await ok(['group', 'add', 'family', 'alice@example.com']), /already is in family/);
      const listed = JSON.parse(await ok(['group', 'list', '--json'])) as Array<{ name: string; members: string[] }>;
      assert.deepEqual(
        listed.map((g) => [g.name, g.members]),
        [
          ['admins-2', []],
          ['family', ['alice@example.com']],
        ],
      );
      await ok(['group', 'delete', 'admins-2']);
      assert.deepEqual(
        (JSON.parse(await ok(['group', 'list', '--json'])) as Array<{ name: string }>).map((g) => g.name),
        ['family'],
      );
    });

    it('adds rules, answers "can this person reach this address?", and removes them', async () => {
      assert.match(await ok(['access', 'add', '--host', 'photos.example.com', '--allow', 'group:family', 'user:bob@example.com']), /Added rule/);
      await ok(['access', 'add', '--host', 'photos.example.com', '--path', '/admin', '--allow', 'group:family', '--factors', 'two_factors']);
      await ok(['access', 'add', '--host', 'photos.example.com', '--path', '/private', '--deny']);
      assert.deepEqual(
        (await rules()).map((r) => [r.path, r.effect, r.who, r.factors]),
        [
          ['/private', 'deny', [], 'password'],
          ['/admin', 'allow', ['group:family'], 'two_factors'],
          ['/', 'allow', ['group:family', 'user:bob@example.com'], 'password'],
        ],
        'most specific path first',
      );

      assert.equal((await check('alice@example.com', 'https://photos.example.com/albums')).outcome, 'allow');
      assert.equal((await check('bob@example.com', 'https://photos.example.com/albums')).outcome, 'allow');
      const bobAdmin = await check('bob@example.com', 'https://photos.example.com/admin/users');
      assert.deepEqual([bobAdmin.outcome, bobAdmin.reason, bobAdmin.rule?.path], ['deny', 'not_listed', '/admin']);
      const weak = await check('alice@example.com', 'https://photos.example.com/admin');
      assert.deepEqual([weak.outcome, weak.reason, weak.needs], ['deny', 'factors_too_weak', 'two_factors'], 'alice has no second factor to step up with');
      assert.equal((await check('alice@example.com', 'https://photos.example.com/admin', 'two_factors')).outcome, 'allow');
      assert.equal((await check('alice@example.com', 'https://photos.example.com/%70rivate/x')).reason, 'rule_denies', 'an escaped path is the same path');
      assert.equal(
        (await check('alice@example.com', 'https://elsewhere.example.com/')).reason,
        'default_deny',
        'a new install refuses hosts no application names',
      );
      assert.match(
        await ok(['access', 'check', '--email', 'bob@example.com', '--url', 'https://photos.example.com/admin']),
        /^REFUSED: .*names groups or people/,
      );

      // The real binary answers the same JSON.
      const real = spawned(['access', 'check', '--email', 'bob@example.com', '--url', 'https://photos.example.com/admin/users', '--json']);
      assert.equal(real.status, 0, real.stderr);
      assert.deepEqual(JSON.parse(real.stdout), bobAdmin);

      const [privateRule] = await rules();
      assert.match(await ok(['access', 'remove', privateRule!.id]), /Removed rule/);
      assert.equal((await rules()).length, 2);
      await refused(['group', 'delete', 'family'], /named by the rule/);
    });

    it('refuses bad input with one line and a non-zero exit, and saves nothing', async () => {
      const before = await rules();
      for (const [args, message] of [
        [['group', 'create', 'Family'], /not a group name/],
        [['group', 'create', 'family'], /already exists/],
        [['group', 'add', 'nobody', 'alice@example.com'], /no group named nobody/],
        [['group', 'add', 'family', 'nobody@example.com'], /no user with email/],
        [['group', 'remove', 'family', 'bob@example.com'], /is not in family/],
        [['group', 'create'], /expected NAME/],
        [['access', 'add', '--host', 'https://wiki.example.com', '--allow', 'anyone'], /without http/],
        [['access', 'add', '--host', 'wiki.example.com:8000-8100', '--allow', 'anyone'], /no ranges/],
        [['access', 'add', '--host', 'wiki.example.com', '--path', 'admin', '--allow', 'anyone'], /must start with "\/"/],
        [['access', 'add', '--host', 'wiki.example.com', '--allow', 'group:nobody'], /no group named "nobody"/],
        [['access', 'add', '--host', 'wiki.example.com', '--allow', 'user:nobody@example.com'], /no user with the email/],
        [['access', 'add', '--host', 'photos.example.com', '--allow', 'anyone'], /already has a rule for \//],
        [['access', 'add', '--host', 'wiki.example.com', '--allow', 'anyone', '--deny'], /not both/],
        [['access', 'add', '--host', 'wiki.example.com', '--allow', 'everyone'], /not anyone, group:NAME or user:EMAIL/],
        [['access', 'add', '--host', 'wiki.example.com', '--allow', 'anyone', '--factors', 'three'], /not one of password/],
        [['access', 'remove', 'nope'], /No rule or application/],
        [['access', 'check', '--email', 'alice@example.com', '--url', 'photos.example.com'], /not an absolute address/],
        [['access', 'check', '--email', 'alice@example.com', '--url', 'https://x.example.com', '--factors', 'otp'], /--factors must be one of/],
        [['access', 'spin'], /unknown access command/],
      ] as Array<[string[], RegExp]>) {
        await refused(args, message);
      }
      assert.deepEqual(await rules(), before, 'nothing half-saved: no application for wiki.example.com, no rule');
      // The real binary: one line on stderr and exit 1.
      const real = spawned(['access', 'add', '--host', 'wiki.example.com', '--allow', 'group:nobody']);
      assert.equal(real.status, 1);
      assert.equal(real.stderr, 'gatehouse: There is no group named "nobody".\n');
    });
  });
}
