// The directory client against a real slapd: TLS (LDAPS with a self-signed CA, refused without
// it; StartTLS), RFC 4515 escaping of typed names, no bind with an empty password, groups of
// groups, and Active Directory-shaped entries under the active_directory preset.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../config.js';
import { groupDn, groupLdif, personDn, personLdif, SERVICE_DN, type Slapd, skipWithoutSlapd, startSlapd, SUFFIX } from '../../test-support/slapd.js';
import { DirectoryClient, DirectoryUnavailable, groupsFilter, IN_CHAIN, personFilter } from './directory-client.js';

const skip = skipWithoutSlapd();

function client(slapd: Slapd, env: Record<string, string> = {}): DirectoryClient {
  const config = loadConfig({
    GATEHOUSE_LDAP_URL: slapd.url,
    GATEHOUSE_LDAP_STARTTLS: '0',
    GATEHOUSE_LDAP_BIND_DN: SERVICE_DN,
    GATEHOUSE_LDAP_BIND_PASSWORD_FILE: slapd.servicePasswordFile,
    GATEHOUSE_LDAP_BASE_DN: SUFFIX,
    GATEHOUSE_LDAP_TIMEOUT_MS: '2000',
    ...env,
  }).directory!;
  return new DirectoryClient(config);
}

describe('directory client against slapd', { skip }, () => {
  let slapd: Slapd;
  const open: DirectoryClient[] = [];
  const make = (env?: Record<string, string>) => {
    const c = client(slapd, env);
    open.push(c);
    return c;
  };
  before(async () => {
    slapd = await startSlapd();
    slapd.add(personLdif('ana', { mail: 'ana@example.org', password: 'ana-password-1' }));
    slapd.add(personLdif('star', { mail: 'star@example.org', password: 'star-password-1' }));
    slapd.add(personLdif('b\\5cslash', { mail: 'backslash@example.org', password: 'bs-password-1' }).replace('uid: b\\5cslash', 'uid: b\\slash'));
    slapd.add(groupLdif('staff', [personDn('ana')]));
    slapd.add(groupLdif('everyone', [groupDn('staff'), personDn('star')]));
    slapd.add(groupLdif('all-hands', [groupDn('everyone')]));
    slapd.add(`dn: uid=adam,ou=people,${SUFFIX}
objectClass: inetOrgPerson
objectClass: user
uid: adam
cn: Adam
sn: Adam
displayName: Adam Admin
mail: adam@corp.example
sAMAccountName: adam
userPrincipalName: adam@corp.example.local
objectGUID:: 3q2+7wAAAAAAAAAAAAAAAQ==
userAccountControl: 512
userPassword: adam-password-1

dn: uid=dora,ou=people,${SUFFIX}
objectClass: inetOrgPerson
objectClass: user
uid: dora
cn: Dora
sn: Dora
mail: dora@corp.example
sAMAccountName: dora
objectGUID:: 3q2+7wAAAAAAAAAAAAAAAg==
userAccountControl: 514
userPassword: dora-password-1
`);
  });
  after(async () => {
    for (const c of open) await c.close();
    await slapd?.close();
  });

  it('finds a person by email or login name and checks the password by a bind as them', async () => {
    const c = make();
    const ana = await c.findPerson('ana@example.org');
    assert.equal(ana?.dn.toLowerCase(), personDn('ana'));
    assert.match(ana!.id, /^[0-9a-f-]{36}$/, 'the entryUUID');
    assert.equal((await c.findPerson('ana'))?.id, ana!.id);
    assert.equal((await c.findById(ana!.id))?.dn, ana!.dn);
    assert.equal(await c.verifyPassword(ana!.dn, 'ana-password-1'), true);
    assert.equal(await c.verifyPassword(ana!.dn, 'wrong'), false);
  });

  it('escapes filter metacharacters: *, (, ), \\ and NUL match only themselves', async () => {
    const c = make();
    // Each would find exactly one person if it were pasted into the filter's text.
    for (const typed of ['an*', 'st*r', '*)(uid=ana', 'ana)(uid=ana', 'x)(|(uid=ana)', '(uid=ana)', 'ana\u0000', 'ana\u0000)(uid=ana', '\\2a', 'b\\5cslash']) {
      assert.equal(await c.findPerson(typed), null, `"${JSON.stringify(typed)}" found someone`);
    }
    assert.equal((await c.findPerson('b\\slash'))?.mail, 'backslash@example.org', 'a real backslash in a uid is found as itself');
    const text = personFilter(c.config, '*()\\\u0000').toString();
    assert.ok(text.includes('(uid=\\2a\\28\\29\\5c\\00)'), text);
  });

  it('never binds with an empty password (an anonymous bind would succeed)', async () => {
    const c = make();
    const ana = await c.findPerson('ana');
    assert.equal(await c.verifyPassword(ana!.dn, ''), false);
    assert.equal(await c.verifyPassword('', ''), false);
  });

  it('follows groups of groups (walk), or only direct ones (off)', async () => {
    const ana = (await make().findPerson('ana'))!;
    assert.deepEqual(await make().groupsOf(ana), ['all-hands', 'everyone', 'staff']);
    assert.deepEqual(await make({ GATEHOUSE_LDAP_NESTED_GROUPS: 'off' }).groupsOf(ana), ['staff']);
  });

  it("active_directory preset: sAMAccountName, userPrincipalName, objectGUID, userAccountControl's disabled bit", async () => {
    const ad = make({
      GATEHOUSE_LDAP_PRESET: 'active_directory',
      GATEHOUSE_LDAP_NESTED_GROUPS: 'off',
      GATEHOUSE_LDAP_GROUP_FILTER: '(objectClass=groupOfNames)',
    });
    const adam = await ad.findPerson('adam');
    assert.equal(adam?.id, 'deadbeef000000000000000000000001', 'objectGUID as hex');
    assert.equal(adam.displayName, 'Adam Admin');
    assert.equal(adam.disabled, false);
    assert.equal((await ad.findPerson('adam@corp.example.local'))?.id, adam.id, 'by userPrincipalName');
    assert.equal((await ad.findById(adam.id))?.dn, adam.dn, 'by binary objectGUID');
    assert.equal(await ad.findPerson('ana'), null, 'not an AD user (no objectClass user)');
    assert.equal((await ad.findPerson('dora'))?.disabled, true, 'userAccountControl 514 = ACCOUNTDISABLE');
    assert.equal(await ad.verifyPassword(adam.dn, 'adam-password-1'), true);
  });

  it("active_directory preset asks AD's in-chain rule for nested groups", () => {
    const filter = groupsFilter({ groupFilter: '(objectClass=group)', memberAttribute: 'member', nestedGroups: 'in_chain' }, ['cn=a\\,b,dc=x']);
    assert.equal(filter.toString(), `(&(objectClass=group)(member:${IN_CHAIN}:=cn=a\\5c,b,dc=x))`);
  });

  it('LDAPS with the self-signed CA; refused without it', async () => {
    const withCa = make({ GATEHOUSE_LDAP_URL: slapd.tlsUrl, GATEHOUSE_LDAP_CA_FILE: slapd.caFile });
    assert.equal((await withCa.findPerson('ana'))?.mail, 'ana@example.org');
    const withoutCa = make({ GATEHOUSE_LDAP_URL: slapd.tlsUrl });
    await assert.rejects(withoutCa.findPerson('ana'), (e: unknown) => e instanceof DirectoryUnavailable && /CERT|certificate|SELF_SIGNED/i.test(e.reason));
  });

  it('StartTLS on ldap:// with the CA; refused without it', async () => {
    const url = `ldap://localhost:${slapd.port}`;
    const tls = make({ GATEHOUSE_LDAP_URL: url, GATEHOUSE_LDAP_STARTTLS: '1', GATEHOUSE_LDAP_CA_FILE: slapd.caFile });
    const ana = await tls.findPerson('ana');
    assert.equal(await tls.verifyPassword(ana!.dn, 'ana-password-1'), true);
    const noCa = make({ GATEHOUSE_LDAP_URL: url, GATEHOUSE_LDAP_STARTTLS: '1' });
    await assert.rejects(noCa.findPerson('ana'), DirectoryUnavailable);
  });

  it('shares a bounded pool: twenty searches at once over one connection all answer', async () => {
    const c = make({ GATEHOUSE_LDAP_POOL_SIZE: '1' });
    const found = await Promise.all(Array.from({ length: 20 }, () => c.findPerson('ana')));
    assert.ok(found.every((e) => e?.mail === 'ana@example.org'));
  });

  it('a directory that never answers is DirectoryUnavailable within the timeout, pooled or new connection', async () => {
    const c = make({ GATEHOUSE_LDAP_TIMEOUT_MS: '500' });
    const ana = (await c.findPerson('ana'))!;
    slapd.freeze();
    try {
      for (const operation of [() => c.findPerson('ana'), () => c.verifyPassword(ana.dn, 'ana-password-1'), () => c.groupsOf(ana)]) {
        const started = performance.now();
        await assert.rejects(operation(), DirectoryUnavailable);
        assert.ok(performance.now() - started < 2500, `answered after ${Math.round(performance.now() - started)} ms`);
      }
    } finally {
      slapd.thaw();
    }
    assert.ok(await c.findPerson('ana'), 'answers again once it does');
  });

  it('a stopped directory is DirectoryUnavailable, within the timeout; back when it is', async () => {
    const c = make();
    assert.ok(await c.findPerson('ana'));
    await slapd.stop();
    const started = performance.now();
    await assert.rejects(c.findPerson('ana'), DirectoryUnavailable);
    await assert.rejects(c.verifyPassword(personDn('ana'), 'ana-password-1'), DirectoryUnavailable);
    assert.ok(performance.now() - started < 5000);
    await slapd.start();
    assert.ok(await c.findPerson('ana'), 'the pool reconnects');
  });
});
