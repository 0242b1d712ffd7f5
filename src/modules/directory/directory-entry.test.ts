// The pure part of the directory: how an entry becomes a person (binary ids, the disabled
// markers of Active Directory, OpenLDAP and FreeIPA) and how typed names become filters.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../config.js';
import { personFilter, toEntry } from './directory-entry.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-entry-')), 'pw');
fs.writeFileSync(file, 'x');
const config = (preset: string) =>
  loadConfig({
    GATEHOUSE_LDAP_URL: 'ldaps://ldap.example.com',
    GATEHOUSE_LDAP_BIND_DN: 'cn=svc,dc=example,dc=com',
    GATEHOUSE_LDAP_BIND_PASSWORD_FILE: file,
    GATEHOUSE_LDAP_BASE_DN: 'dc=example,dc=com',
    GATEHOUSE_LDAP_PRESET: preset,
  }).directory!;

describe('directory entries', () => {
  const ad = config('active_directory');
  const person = (extra: Record<string, string | Buffer>) =>
    toEntry(ad, {
      dn: 'cn=a,dc=example,dc=com',
      objectGUID: Buffer.from('00112233445566778899aabbccddeeff', 'hex'),
      mail: 'a@example.com',
      sAMAccountName: 'a',
      ...extra,
    });

  it('keeps a binary objectGUID as hex, and refuses an entry without its id', () => {
    assert.equal(person({})?.id, '00112233445566778899aabbccddeeff');
    assert.equal(toEntry(ad, { dn: 'cn=b,dc=example,dc=com', mail: 'b@example.com' }), null);
  });

  it("reads userAccountControl's ACCOUNTDISABLE (0x2) and LOCKOUT (0x10) bits, and nothing else", () => {
    assert.equal(person({ userAccountControl: '512' })?.disabled, false, 'NORMAL_ACCOUNT');
    assert.equal(person({ userAccountControl: '66048' })?.disabled, false, 'NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD');
    assert.equal(person({ userAccountControl: '514' })?.disabled, true, 'ACCOUNTDISABLE');
    assert.equal(person({ userAccountControl: '528' })?.disabled, true, 'LOCKOUT');
  });

  it("OpenLDAP's pwdAccountLockedTime and FreeIPA's nsAccountLock disable", () => {
    const openldap = config('openldap');
    const entry = { dn: 'uid=a,dc=example,dc=com', entryUUID: '1eb6c4a4-8686-1041-869b-232aae7f6843', mail: 'a@example.com', uid: 'a' };
    assert.equal(toEntry(openldap, entry)?.disabled, false);
    assert.equal(toEntry(openldap, { ...entry, pwdAccountLockedTime: '000001010000Z' })?.disabled, true);
    assert.equal(toEntry(config('freeipa'), { ...entry, ipaUniqueID: 'x', nsAccountLock: 'TRUE' })?.disabled, true);
    assert.equal(toEntry(config('freeipa'), { ...entry, ipaUniqueID: 'x', nsAccountLock: 'FALSE' })?.disabled, false);
  });

  it('puts a typed name only in equality assertions, escaped as RFC 4515 says', () => {
    assert.equal(
      personFilter(ad, 'a*)(|(x=1').toString(),
      '(&(&(objectClass=user)(!(objectClass=computer)))(|(mail=a\\2a\\29\\28|\\28x=1)(sAMAccountName=a\\2a\\29\\28|\\28x=1)(userPrincipalName=a\\2a\\29\\28|\\28x=1)))',
    );
  });
});
