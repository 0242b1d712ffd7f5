// GATEHOUSE_LDAP_*: presets fill in the usual attributes; a bad value stops the start with the
// variable's name and the fix; the service password never appears in a message.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from './config.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-ldap-config-'));
const passwordFile = path.join(dir, 'bind-password');
fs.writeFileSync(passwordFile, 'hunter2-service\n');
const emptyFile = path.join(dir, 'empty');
fs.writeFileSync(emptyFile, '\n');
const BASE = {
  GATEHOUSE_LDAP_URL: 'ldaps://ldap.example.com',
  GATEHOUSE_LDAP_BIND_DN: 'cn=gatehouse,dc=example,dc=com',
  GATEHOUSE_LDAP_BIND_PASSWORD_FILE: passwordFile,
  GATEHOUSE_LDAP_BASE_DN: 'dc=example,dc=com',
};

describe('directory settings', () => {
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('none without GATEHOUSE_LDAP_URL', () => {
    assert.equal(loadConfig({}).directory, null);
  });

  it('presets: openldap, active_directory, freeipa', () => {
    const openldap = loadConfig(BASE).directory!;
    assert.equal(openldap.idAttribute, 'entryUUID');
    assert.deepEqual(openldap.loginAttributes, ['uid']);
    assert.equal(openldap.bindPassword, 'hunter2-service', 'one trailing newline is not part of it');
    assert.equal(openldap.startTls, false, 'ldaps:// is TLS already');
    const ad = loadConfig({ ...BASE, GATEHOUSE_LDAP_PRESET: 'active_directory' }).directory!;
    assert.equal(ad.idAttribute, 'objectGUID');
    assert.deepEqual(ad.loginAttributes, ['sAMAccountName', 'userPrincipalName']);
    assert.equal(ad.nestedGroups, 'in_chain');
    assert.equal(loadConfig({ ...BASE, GATEHOUSE_LDAP_PRESET: 'freeipa' }).directory!.idAttribute, 'ipaUniqueID');
    assert.equal(loadConfig({ ...BASE, GATEHOUSE_LDAP_URL: 'ldap://ldap.example.com' }).directory!.startTls, true, 'StartTLS by default on ldap://');
    assert.equal(loadConfig({ ...BASE, GATEHOUSE_LDAP_MEMBER_ATTRIBUTE: 'memberUid' }).directory!.nestedGroups, 'off');
  });

  it('names the variable and the fix for a bad value, never the password', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ GATEHOUSE_LDAP_URL: 'https://ldap.example.com' }, 'GATEHOUSE_LDAP_URL'],
      [{ GATEHOUSE_LDAP_URL: 'ldap://' }, 'GATEHOUSE_LDAP_URL'],
      [{ GATEHOUSE_LDAP_URL: 'ldap://ldap.example.com', GATEHOUSE_LDAP_STARTTLS: '0' }, 'GATEHOUSE_LDAP_STARTTLS'],
      [{ GATEHOUSE_LDAP_STARTTLS: 'yes' }, 'GATEHOUSE_LDAP_STARTTLS'],
      [{ GATEHOUSE_LDAP_PRESET: 'novell' }, 'GATEHOUSE_LDAP_PRESET'],
      [{ GATEHOUSE_LDAP_BIND_DN: '' }, 'GATEHOUSE_LDAP_BIND_DN'],
      [{ GATEHOUSE_LDAP_BASE_DN: 'example.com' }, 'GATEHOUSE_LDAP_BASE_DN'],
      [{ GATEHOUSE_LDAP_BIND_PASSWORD_FILE: '' }, 'GATEHOUSE_LDAP_BIND_PASSWORD_FILE'],
      [{ GATEHOUSE_LDAP_BIND_PASSWORD_FILE: path.join(dir, 'missing') }, 'GATEHOUSE_LDAP_BIND_PASSWORD_FILE'],
      [{ GATEHOUSE_LDAP_BIND_PASSWORD_FILE: emptyFile }, 'GATEHOUSE_LDAP_BIND_PASSWORD_FILE'],
      [{ GATEHOUSE_LDAP_USER_FILTER: '(objectClass=person' }, 'GATEHOUSE_LDAP_USER_FILTER'],
      [{ GATEHOUSE_LDAP_GROUP_FILTER: 'objectClass=group)(' }, 'GATEHOUSE_LDAP_GROUP_FILTER'],
      [{ GATEHOUSE_LDAP_MAIL_ATTRIBUTE: 'mail)(uid=*' }, 'GATEHOUSE_LDAP_MAIL_ATTRIBUTE'],
      [{ GATEHOUSE_LDAP_LOGIN_ATTRIBUTE: 'uid,(cn' }, 'GATEHOUSE_LDAP_LOGIN_ATTRIBUTE'],
      [{ GATEHOUSE_LDAP_NESTED_GROUPS: 'yes' }, 'GATEHOUSE_LDAP_NESTED_GROUPS'],
      [{ GATEHOUSE_LDAP_MEMBER_ATTRIBUTE: 'memberUid', GATEHOUSE_LDAP_NESTED_GROUPS: 'walk' }, 'GATEHOUSE_LDAP_NESTED_GROUPS'],
      [{ GATEHOUSE_LDAP_CA_FILE: path.join(dir, 'missing.pem') }, 'GATEHOUSE_LDAP_CA_FILE'],
      [{ GATEHOUSE_LDAP_CA_FILE: passwordFile }, 'GATEHOUSE_LDAP_CA_FILE'],
      [{ GATEHOUSE_LDAP_TIMEOUT_MS: '0' }, 'GATEHOUSE_LDAP_TIMEOUT_MS'],
      [{ GATEHOUSE_LDAP_SYNC_INTERVAL: '5' }, 'GATEHOUSE_LDAP_SYNC_INTERVAL'],
      [{ GATEHOUSE_LDAP_PASSWORD_URL: 'javascript:alert(1)' }, 'GATEHOUSE_LDAP_PASSWORD_URL'],
      [{ GATEHOUSE_LDAP_PASSWORD_MODIFY: 'yes' }, 'GATEHOUSE_LDAP_PASSWORD_MODIFY'],
      [{ GATEHOUSE_LDAP_LOCKOUT_THRESHOLD: '-1' }, 'GATEHOUSE_LDAP_LOCKOUT_THRESHOLD'],
    ];
    for (const [env, variable] of cases) {
      assert.throws(
        () => loadConfig({ ...BASE, ...env }),
        (e: unknown) => e instanceof ConfigError && e.message.startsWith(variable) && !e.message.includes('hunter2'),
        JSON.stringify(env),
      );
    }
  });
});
