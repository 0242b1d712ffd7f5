// Backup, restore and key rotation, on real databases.
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../config.js';
import { DIALECTS, type TestDatabase } from '../test-support/databases.js';
import { seedUser, startTestApp } from '../test-support/harness.js';
import { TestClock } from '../test-support/clock.js';
import { phoneCode } from '../test-support/authenticator.js';
import { decryptSecret, deriveSecretBoxKey, encryptSecret } from '../crypto/secret-box.js';
import { rotateKey } from './maintenance.js';
import { backupDatabase, restoreDatabase } from './backup.js';

describe('SQLite backup and restore', () => {
  // A folder, live database and key of each test's own.
  let dir: string;
  let url: string;
  let masterKey: Buffer;
  let config: ReturnType<typeof loadConfig>;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-backup-'));
    url = `sqlite:${path.join(dir, 'live.db')}`;
    masterKey = randomBytes(32);
    config = loadConfig({ GATEHOUSE_DATABASE_URL: url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('copies the live database while it is in use, and brings the copy back', async () => {
    const t = await startTestApp({ url, masterKey });
    await seedUser(t.s, 'kept@example.com');
    const copy = path.join(dir, 'copy.db');
    await backupDatabase(config, copy); // the app still holds its connection
    await seedUser(t.s, 'later@example.com');
    await assert.rejects(backupDatabase(config, copy), /exists already/);
    await t.close();

    await restoreDatabase(config, copy);
    const db = new SQLite(path.join(dir, 'live.db'), { readonly: true });
    const emails = (db.prepare('select email from users order by email').all() as Array<{ email: string }>).map((r) => r.email);
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();
    assert.deepEqual(emails, ['kept@example.com']);
    const again = await startTestApp({ url, masterKey });
    assert.equal((await again.client().signIn('kept@example.com')).status, 200, 'the restored database serves sign-ins');
    await again.close();
  });

  it('refuses a damaged backup and changes nothing', async () => {
    const t = await startTestApp({ url, masterKey });
    await seedUser(t.s, 'kept@example.com');
    await t.close();
    const bad = path.join(dir, 'bad.db');
    fs.writeFileSync(bad, 'not a database at all');
    await assert.rejects(restoreDatabase(config, bad));
    const db = new SQLite(path.join(dir, 'live.db'), { readonly: true });
    assert.equal((db.prepare('select count(*) as n from users').get() as { n: number }).n, 1);
    db.close();
  });
});

for (const dialect of DIALECTS) {
  describe(`rotate-key on ${dialect.name}`, { skip: dialect.skip }, () => {
    let database: TestDatabase;
    before(async () => {
      database = await dialect.create();
    });
    after(async () => database?.drop());

    it('re-encrypts every TOTP secret and keeps backup codes working under the new key; the old key stops working', async () => {
      const oldKey = randomBytes(32);
      const newKey = randomBytes(32);
      const clock = new TestClock();
      const t = await startTestApp({ url: database.url, masterKey: oldKey, clock: clock.read });
      await seedUser(t.s, 'turn@example.com');
      const c = t.client();
      await c.signIn('turn@example.com');
      await c.stepUp();
      const key = (await c.post('/api/me/2fa/setup')).body.key as string;
      const codes = (await c.post('/api/me/2fa/enable', { code: phoneCode(key, clock.now()) })).body.backupCodes as string[];
      const before = await t.s.db.selectFrom('two_factor').select('secret_ciphertext').executeTakeFirstOrThrow();
      // An upstream provider's client secret, sealed as the upstream module seals it (its id as associated data).
      const oldBox = deriveSecretBoxKey(oldKey);
      await t.s.db
        .insertInto('upstream_providers')
        .values({
          id: 'sso',
          kind: 'oidc',
          name: 'Company SSO',
          logo: null,
          groups_claim: null,
          group_map: '{}',
          issuer: 'https://sso.example.com',
          client_id: 'gatehouse',
          client_secret: encryptSecret(oldBox, 'the-client-secret', 'upstream-provider sso'),
          trusted_mfa: 0,
          enabled: 1,
          created_at: clock.now(),
        })
        .execute();
      await t.close();

      const config = loadConfig({ GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_ENCRYPTION_KEY: newKey.toString('base64') });
      await assert.rejects(rotateKey(config, randomBytes(32)), /does not open this database|does not decrypt/, 'a wrong old key changes nothing');
      assert.equal(await rotateKey(config, oldKey), 1);

      const rotated = await startTestApp({ url: database.url, masterKey: newKey, clock: clock.read });
      const after = await rotated.s.db.selectFrom('two_factor').select('secret_ciphertext').executeTakeFirstOrThrow();
      const sso = await rotated.s.db.selectFrom('upstream_providers').select('client_secret').where('id', '=', 'sso').executeTakeFirstOrThrow();
      assert.equal(
        decryptSecret(deriveSecretBoxKey(newKey), sso.client_secret, 'upstream-provider sso'),
        'the-client-secret',
        'the provider secret moved to the new key',
      );
      assert.throws(() => decryptSecret(oldBox, sso.client_secret, 'upstream-provider sso'));
      assert.notEqual(after.secret_ciphertext, before.secret_ciphertext);
      clock.advance(30_000);
      const u = rotated.client();
      await u.signIn('turn@example.com');
      assert.equal((await u.post('/api/session/second-factor', { code: phoneCode(key, clock.now()) })).status, 200, 'the app code still works');
      await u.delete('/api/session');
      await u.signIn('turn@example.com');
      assert.equal((await u.post('/api/session/second-factor', { code: codes[0] })).status, 200, 'backup codes still work');
      await rotated.close();
      await assert.rejects(startTestApp({ url: database.url, masterKey: oldKey }), /does not open this database/);
    });
  });
}
