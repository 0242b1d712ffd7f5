// `gatehouse directory test` and `gatehouse directory sync [--dry-run]` against a real slapd and a
// real database, run as the binary runs them (runCli, in this process, on the real clock).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DIALECTS, type TestDatabase } from '../test-support/databases.js';
import { startTestApp, type TestApp } from '../test-support/harness.js';
import { realClock } from '../test-support/processes.js';
import { personDn, personLdif, SERVICE_DN, type Slapd, skipWithoutSlapd, startSlapd, SUFFIX } from '../test-support/slapd.js';
import { describeCliError, runCli } from './main.js';

const skip = skipWithoutSlapd();

for (const dialect of DIALECTS) {
  describe(`gatehouse directory commands on ${dialect.name}`, { skip: skip ?? dialect.skip }, () => {
    let database: TestDatabase;
    let slapd: Slapd;
    let t: TestApp;
    const masterKey = randomBytes(32);
    let env: Record<string, string> = {};
    const saved = { ...process.env };

    const gatehouse = async (args: string[]) => {
      Object.assign(process.env, env);
      const out: string[] = [];
      const write = process.stdout.write;
      process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
        typeof chunk === 'string' ? out.push(chunk) > 0 : (write.call(process.stdout, chunk, ...(rest as [])) as boolean)) as typeof process.stdout.write;
      try {
        await runCli(args);
        return { status: 0, stdout: out.join(''), stderr: '' };
      } catch (error) {
        return { status: 1, stdout: out.join(''), stderr: describeCliError(error) };
      } finally {
        process.stdout.write = write;
      }
    };

    before(async () => {
      database = await dialect.create();
      slapd = await startSlapd();
      slapd.add(personLdif('lea', { mail: 'lea@example.org', password: 'lea-directory-password' }));
      env = {
        GATEHOUSE_DATABASE_URL: database.url,
        GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64'),
        GATEHOUSE_LDAP_URL: slapd.url,
        GATEHOUSE_LDAP_STARTTLS: '0',
        GATEHOUSE_LDAP_BIND_DN: SERVICE_DN,
        GATEHOUSE_LDAP_BIND_PASSWORD_FILE: slapd.servicePasswordFile,
        GATEHOUSE_LDAP_BASE_DN: SUFFIX,
        GATEHOUSE_LDAP_SYNC_INTERVAL: '0',
      };
      t = await startTestApp({ url: database.url, masterKey, clock: realClock, env });
    });
    after(async () => {
      await t?.close();
      await slapd?.close();
      await database?.drop();
      for (const name of Object.keys(env)) if (!(name in saved)) delete process.env[name];
    });

    it('test: the connection, the filters, and what one person resolves to', async () => {
      const run = await gatehouse(['directory', 'test', '--user', 'lea']);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /connection and bind as cn=gatehouse,ou=services,dc=example,dc=org: ok/);
      assert.match(run.stdout, /"lea": uid=lea,ou=people,dc=example,dc=org/i);
      assert.match(run.stdout, /Gatehouse account: none yet/);
      const nobody = await gatehouse(['directory', 'test', '--user', 'nobody*']);
      assert.equal(nobody.status, 1);
      assert.match(nobody.stdout, /"nobody\*": nobody/);
    });

    it('sync --dry-run says what would change and changes nothing; sync blocks a person disabled in the directory', async () => {
      assert.equal((await t.client().signIn('lea@example.org', 'lea-directory-password')).status, 200);
      slapd.modify(`dn: ${personDn('lea')}\nchangetype: modify\nadd: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n`);
      const dry = await gatehouse(['directory', 'sync', '--dry-run']);
      assert.equal(dry.status, 0, dry.stderr);
      assert.match(dry.stdout, /Dry run: would change 1 thing\(s\)/);
      assert.match(dry.stdout, /lea@example\.org: blocked \(disabled in the directory\)/);
      assert.equal((await t.s.users.findByEmail('lea@example.org'))?.blocked, 0);
      const real = await gatehouse(['directory', 'sync']);
      assert.match(real.stdout, /^Changed 1 thing\(s\)/);
      assert.equal((await t.s.users.findByEmail('lea@example.org'))?.blocked, 1);
    });

    it('without GATEHOUSE_LDAP_URL: one line saying what to set', async () => {
      const url = env.GATEHOUSE_LDAP_URL!;
      env = { ...env, GATEHOUSE_LDAP_URL: '' };
      try {
        const run = await gatehouse(['directory', 'sync']);
        assert.equal(run.status, 1);
        assert.match(run.stderr, /no directory is configured: set GATEHOUSE_LDAP_URL/);
      } finally {
        env = { ...env, GATEHOUSE_LDAP_URL: url };
      }
    });
  });
}
