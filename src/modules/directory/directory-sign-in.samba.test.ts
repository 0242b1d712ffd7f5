// The active_directory preset against a real Active Directory: a Samba domain controller the test
// provisions and starts itself (test-support/samba.ts). Sign-in by sAMAccountName,
// userPrincipalName and mail, all one account linked by the binary objectGUID, the display name
// taken from AD; a disabled account (userAccountControl's bit 2) refused; nested groups through
// LDAP_MATCHING_RULE_IN_CHAIN reaching an access rule; LDAPS and StartTLS with the CA file.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../config.js';
import { type Client, seedUser, startTestApp, type TestApp, uniqueEmail } from '../../test-support/harness.js';
import { AD_BASE_DN, type SambaDc, skipWithoutSamba, startSambaDc } from '../../test-support/samba.js';
import { DirectoryClient } from './directory-client.js';

const skip = skipWithoutSamba();
const ALICE_PASSWORD = 'Alice-Pass-123!';
const BOB_PASSWORD = 'Bob-Pass-123!';

describe('sign-in through Active Directory (a Samba domain controller)', { skip }, () => {
  let dc: SambaDc;
  let t: TestApp;
  const env = () => ({
    GATEHOUSE_PUBLIC_URL: 'http://login.example.com',
    GATEHOUSE_TRUST_PROXY: '127.0.0.1',
    GATEHOUSE_LDAP_URL: dc.ldapsUrl,
    GATEHOUSE_LDAP_CA_FILE: dc.caFile,
    GATEHOUSE_LDAP_PRESET: 'active_directory',
    GATEHOUSE_LDAP_BIND_DN: `CN=gatehouse,CN=Users,${AD_BASE_DN}`,
    GATEHOUSE_LDAP_BIND_PASSWORD_FILE: dc.servicePasswordFile,
    GATEHOUSE_LDAP_BASE_DN: AD_BASE_DN,
    GATEHOUSE_LDAP_SYNC_INTERVAL: '0',
    GATEHOUSE_LDAP_TIMEOUT_MS: '5000',
  });

  before(async () => {
    dc = await startSambaDc();
    const user = (name: string, password: string, given: string, surname: string) =>
      dc.tool([
        'user',
        'add',
        name,
        password,
        '--use-username-as-cn',
        `--given-name=${given}`,
        `--surname=${surname}`,
        `--mail-address=${name}.mail@example.org`,
      ]);
    user('alice', ALICE_PASSWORD, 'Alice', 'Liddell');
    user('bob', BOB_PASSWORD, 'Bob', 'Builder');
    dc.tool(['user', 'disable', 'bob']);
    dc.tool(['group', 'add', 'inner']);
    dc.tool(['group', 'add', 'outer']);
    dc.tool(['group', 'addmembers', 'inner', 'alice']);
    dc.tool(['group', 'addmembers', 'outer', 'inner']);
    t = await startTestApp({ url: 'sqlite::memory:', env: env() });
  });
  after(async () => {
    await t?.close();
    await dc?.close();
  });

  it('signs in by sAMAccountName, userPrincipalName and mail: one account, linked by objectGUID, named as in AD', async () => {
    const bySam = await t.client().signIn('alice', ALICE_PASSWORD);
    assert.equal(bySam.status, 200, JSON.stringify(bySam.body));
    assert.equal(bySam.body.user.email, 'alice.mail@example.org');
    const byUpn = await t.client().signIn('alice@example.org', ALICE_PASSWORD);
    assert.equal(byUpn.status, 200, JSON.stringify(byUpn.body));
    const byMail = await t.client().signIn('alice.mail@example.org', ALICE_PASSWORD);
    assert.equal(byMail.status, 200, JSON.stringify(byMail.body));
    assert.equal(byUpn.body.user.id, bySam.body.user.id);
    assert.equal(byMail.body.user.id, bySam.body.user.id);
    const row = await t.s.db
      .selectFrom('users')
      .select(['source', 'directory_id', 'display_name', 'password_hash'])
      .where('id', '=', bySam.body.user.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.source, 'directory');
    assert.match(String(row.directory_id), /^[0-9a-f]{32}$/, 'the binary objectGUID, as hex');
    assert.equal(row.display_name, 'Alice Liddell');
    assert.equal((await t.client().signIn('alice', 'Not-Alice-Pass-1')).body.error, 'invalid_credentials');
  });

  it('refuses an account disabled in AD (userAccountControl bit 2), with the right password', async () => {
    const answer = await t.client().signIn('bob', BOB_PASSWORD);
    assert.equal(answer.status, 401);
    assert.equal(answer.body.error, 'invalid_credentials');
  });

  it('nested AD groups (in-chain) reach an access rule: alice is in outer through inner', async () => {
    const adminEmail = uniqueEmail('admin');
    await seedUser(t.s, adminEmail, 'admin');
    const chief: Client = t.client();
    assert.equal((await chief.signIn(adminEmail)).status, 200);
    assert.equal((await chief.stepUp()).status, 204);
    const alice = t.client();
    assert.equal((await alice.signIn('alice', ALICE_PASSWORD)).status, 200);
    assert.equal((await chief.post('/api/admin/access/rules', { host: 'wiki.example.com', allow: ['group:outer'] })).status, 201);
    const inside = await alice.get('/api/verify', { 'x-original-url': 'https://wiki.example.com/' });
    assert.equal(inside.status, 200);
    const groups = String(inside.headers['remote-groups']).split(',');
    assert.ok(groups.includes('inner') && groups.includes('outer'), String(inside.headers['remote-groups']));
    const admins = t.client();
    assert.equal((await admins.signIn(adminEmail)).status, 200);
    assert.equal((await admins.get('/api/verify', { 'x-original-url': 'https://wiki.example.com/', accept: 'application/json' })).status, 403, 'not in outer');
  });

  it('StartTLS on ldap:// with the CA file; LDAPS refused without it', async () => {
    const clients: DirectoryClient[] = [];
    const make = (extra: Record<string, string>) => {
      const c = new DirectoryClient(loadConfig({ ...env(), ...extra }).directory!);
      clients.push(c);
      return c;
    };
    try {
      const startTls = make({ GATEHOUSE_LDAP_URL: dc.ldapUrl, GATEHOUSE_LDAP_STARTTLS: '1' });
      const alice = await startTls.findPerson('alice');
      assert.equal(alice?.disabled, false);
      assert.equal(await startTls.verifyPassword(alice!.dn, ALICE_PASSWORD), true);
      assert.equal((await startTls.findPerson('bob'))?.disabled, true);
      const noCa = make({ GATEHOUSE_LDAP_CA_FILE: '' });
      await assert.rejects(noCa.findPerson('alice'));
    } finally {
      for (const c of clients) await c.close();
    }
  });
});
