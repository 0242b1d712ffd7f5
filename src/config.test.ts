import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from './config.js';

describe('config', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.databaseUrl, 'sqlite:./data/gatehouse.db');
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 3000);
    assert.equal(c.publicUrl.origin, 'http://localhost:3000');
    assert.equal(c.secureCookies, false);
    assert.equal(c.issuer, 'Gatehouse');
    assert.equal(c.signinRateLimit, 100);
    assert.ok(Object.isFrozen(c));
    assert.equal(c.smtpUrl, null, 'no SMTP: mail goes to data/outbox/');
    assert.equal(c.mailFrom, 'Gatehouse <no-reply@localhost>');
  });
  it('takes smtp:// and smtps:// with credentials, and never repeats the password in an error', () => {
    assert.equal(loadConfig({ GATEHOUSE_SMTP_URL: 'smtps://u:p@mail.example.com:465' }).smtpUrl, 'smtps://u:p@mail.example.com:465');
    assert.equal(loadConfig({ GATEHOUSE_MAIL_FROM: 'Login <login@example.com>' }).mailFrom, 'Login <login@example.com>');
    assert.throws(
      () => loadConfig({ GATEHOUSE_SMTP_URL: 'ftp://user:hunter2@mail.example.com' }),
      (e: unknown) => e instanceof ConfigError && !e.message.includes('hunter2') && /smtp:\/\/user:password@/.test(e.message),
    );
  });
  it('names the variable and the fix for a bad value', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ GATEHOUSE_PORT: 'eighty' }, 'GATEHOUSE_PORT'],
      [{ GATEHOUSE_PORT: '70000' }, 'GATEHOUSE_PORT'],
      [{ GATEHOUSE_PUBLIC_URL: 'not a url' }, 'GATEHOUSE_PUBLIC_URL'],
      [{ GATEHOUSE_ENCRYPTION_KEY: 'c2hvcnQ=' }, 'GATEHOUSE_ENCRYPTION_KEY'],
      [{ GATEHOUSE_DATABASE_URL: 'mysql://x' }, 'GATEHOUSE_DATABASE_URL'],
      [{ GATEHOUSE_DATABASE_URL: 'postgres://u@h/db' }, 'GATEHOUSE_ENCRYPTION_KEY'],
      [{ GATEHOUSE_SIGNIN_RATE_LIMIT: '-1' }, 'GATEHOUSE_SIGNIN_RATE_LIMIT'],
      [{ GATEHOUSE_TRUST_PROXY: 'proxy.example' }, 'GATEHOUSE_TRUST_PROXY'],
      [{ GATEHOUSE_ALLOW_CLOCK_SKEW: 'yes' }, 'GATEHOUSE_ALLOW_CLOCK_SKEW'],
      [{ GATEHOUSE_SMTP_URL: 'mail.example.com:587' }, 'GATEHOUSE_SMTP_URL'],
      [{ GATEHOUSE_SMTP_URL: 'http://mail.example.com' }, 'GATEHOUSE_SMTP_URL'],
      [{ GATEHOUSE_SMTP_URL: 'smtp://' }, 'GATEHOUSE_SMTP_URL'],
      [{ GATEHOUSE_MAIL_FROM: 'not an address' }, 'GATEHOUSE_MAIL_FROM'],
    ];
    for (const [env, variable] of cases) {
      assert.throws(
        () => loadConfig(env),
        (e: unknown) => e instanceof ConfigError && e.message.startsWith(variable),
        JSON.stringify(env),
      );
    }
  });
  it('lets the public URL follow the port when it is not set', () => {
    assert.equal(loadConfig({ GATEHOUSE_PORT: '8080' }).publicUrl.origin, 'http://localhost:8080');
    assert.equal(loadConfig({ GATEHOUSE_PORT: '8080', GATEHOUSE_PUBLIC_URL: 'https://login.example.com' }).publicUrl.origin, 'https://login.example.com');
  });
  it('allows a skewed clock only when told to', () => {
    assert.equal(loadConfig({}).allowClockSkew, false);
    assert.equal(loadConfig({ GATEHOUSE_ALLOW_CLOCK_SKEW: '0' }).allowClockSkew, false);
    assert.equal(loadConfig({ GATEHOUSE_ALLOW_CLOCK_SKEW: '1' }).allowClockSkew, true);
  });
  it('makes cookies Secure under https', () => {
    assert.equal(loadConfig({ GATEHOUSE_PUBLIC_URL: 'https://login.example.com' }).secureCookies, true);
  });
  it('reads the key from GATEHOUSE_ENCRYPTION_KEY_FILE, a relative name in $CREDENTIALS_DIRECTORY (systemd LoadCredential=)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cred-'));
    const key = Buffer.alloc(32, 7);
    fs.writeFileSync(path.join(dir, 'gatehouse.key'), `${key.toString('base64')}\n`, { mode: 0o600 });
    const fromCredentials = loadConfig({ GATEHOUSE_ENCRYPTION_KEY_FILE: 'gatehouse.key', CREDENTIALS_DIRECTORY: dir });
    assert.deepEqual(fromCredentials.encryptionKey, key);
    assert.equal(fromCredentials.encryptionKeyFile, path.join(dir, 'gatehouse.key'));
    assert.deepEqual(loadConfig({ GATEHOUSE_ENCRYPTION_KEY_FILE: path.join(dir, 'gatehouse.key') }).encryptionKey, key);
    // With PostgreSQL the file is enough: no key in the environment is needed.
    assert.ok(loadConfig({ GATEHOUSE_DATABASE_URL: 'postgres://u@h/db', GATEHOUSE_ENCRYPTION_KEY_FILE: path.join(dir, 'gatehouse.key') }).encryptionKey);
    fs.writeFileSync(path.join(dir, 'short.key'), 'c2hvcnQ=');
    for (const env of [
      { GATEHOUSE_ENCRYPTION_KEY_FILE: path.join(dir, 'missing.key') },
      { GATEHOUSE_ENCRYPTION_KEY_FILE: path.join(dir, 'short.key') },
      { GATEHOUSE_ENCRYPTION_KEY_FILE: path.join(dir, 'gatehouse.key'), GATEHOUSE_ENCRYPTION_KEY: key.toString('base64') },
    ])
      assert.throws(
        () => loadConfig(env),
        (e: unknown) => e instanceof ConfigError && e.message.startsWith('GATEHOUSE_ENCRYPTION_KEY_FILE:'),
      );
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
