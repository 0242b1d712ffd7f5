// `gatehouse user delete --email E --yes`, run as an operator would, against a real database on
// both dialects: no step-up (whoever runs it holds the server), but nothing happens without --yes;
// an unknown email and the last administrator are refused with one line, a non-zero exit and
// nothing changed; a deletion is audited as the command line's, with a notice queued to the address.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIALECTS, type TestDatabase } from '../test-support/databases.js';
import { seedUser, startTestApp, type TestApp } from '../test-support/harness.js';
import { clockEnv, realClock } from '../test-support/processes.js';
import { describeCliError, runCli } from './main.js';

const TSX = import.meta.resolve('tsx');
const ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'run.ts');

for (const dialect of DIALECTS) {
  describe(`gatehouse user delete on ${dialect.name}`, { skip: dialect.skip }, () => {
    let database: TestDatabase;
    let t: TestApp;
    const masterKey = randomBytes(32);
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-delete-cli-'));
    const env = () => ({ GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') });
    /** The real command in a new process (once: each costs a start-up). */
    const spawned = (args: string[]) =>
      spawnSync(process.execPath, ['--import', TSX, ENTRY, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...clockEnv(), ...env() }, encoding: 'utf8' });
    /** The same command in this process (runCli, what the binary runs), its refusal as the one line it prints. */
    const refusal = async (args: string[]): Promise<string> => {
      Object.assign(process.env, env());
      try {
        await runCli(args);
      } catch (error) {
        return describeCliError(error);
      }
      throw new Error(`${args.join(' ')} was not refused`);
    };
    const exists = async (email: string) => (await t.s.users.findByEmail(email)) !== undefined;

    before(async () => {
      database = await dialect.create();
      // The commands run on the real clock, so the app beside them here does too.
      t = await startTestApp({ url: database.url, masterKey, clock: realClock });
      await seedUser(t.s, 'boss@example.com', 'admin');
      await seedUser(t.s, 'ana@example.com');
    });
    after(async () => {
      await t?.close();
      await database?.drop();
      fs.rmSync(cwd, { recursive: true, force: true });
    });

    it('refuses without --yes, an unknown email and the last administrator: nothing changes', async () => {
      assert.match(await refusal(['user', 'delete', '--email', 'ana@example.com']), /deletes ana@example\.com for good: add --yes to confirm/);
      assert.match(await refusal(['user', 'delete', '--yes']), /--email is required/);
      assert.match(await refusal(['user', 'delete', '--email', 'nobody@example.com', '--yes']), /no user with email nobody@example\.com/);
      assert.match(await refusal(['user', 'delete', '--email', 'boss@example.com', '--yes']), /last administrator cannot be deleted/);
      assert.ok((await exists('ana@example.com')) && (await exists('boss@example.com')));
      const events = await t.s.db.selectFrom('audit_events').select('id').where('kind', '=', 'user.deleted').execute();
      assert.deepEqual(events, []);
    });

    it('deletes an account with --yes: audited as the command line, a notice queued to the address', async () => {
      const run = spawned(['user', 'delete', '--email', 'ANA@example.com', '--yes']);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /^Deleted ana@example\.com/);
      assert.equal(await exists('ana@example.com'), false);
      const event = await t.s.db.selectFrom('audit_events').selectAll().where('kind', '=', 'user.deleted').executeTakeFirstOrThrow();
      assert.deepEqual([event.actor_kind, event.actor_id, event.subject_email, JSON.parse(event.details)], ['cli', null, 'ana@example.com', { by: 'cli' }]);
      const notice = await t.s.db.selectFrom('mail_outbox').select(['kind', 'recipient']).where('kind', '=', 'account_deleted').execute();
      assert.deepEqual(notice, [{ kind: 'account_deleted', recipient: 'ana@example.com' }]);
    });
  });
}
