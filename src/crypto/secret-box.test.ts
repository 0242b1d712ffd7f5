import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decryptSecret, deriveKeys, encryptSecret } from './secret-box.js';

describe('secret box (AES-256-GCM)', () => {
  const key = deriveKeys(randomBytes(32), randomBytes(32)).secretBox;

  it('round-trips and never contains the plaintext', () => {
    const sealed = encryptSecret(key, 'JBSWY3DPEHPK3PXP', 'user-1');
    assert.ok(!sealed.includes('JBSWY3DPEHPK3PXP'));
    assert.equal(decryptSecret(key, sealed, 'user-1'), 'JBSWY3DPEHPK3PXP');
  });

  it('binds the ciphertext to its user: copied to another row, it does not decrypt', () => {
    const sealed = encryptSecret(key, 'JBSWY3DPEHPK3PXP', 'user-1');
    assert.throws(() => decryptSecret(key, sealed, 'user-2'));
  });

  it('detects tampering and the wrong key', () => {
    const sealed = encryptSecret(key, 'JBSWY3DPEHPK3PXP', 'user-1');
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[14]! ^= 1;
    assert.throws(() => decryptSecret(key, `v1.${raw.toString('base64')}`, 'user-1'));
    assert.throws(() => decryptSecret(deriveKeys(randomBytes(32), randomBytes(32)).secretBox, sealed, 'user-1'));
  });

  it('derives distinct keys per purpose', () => {
    const keys = deriveKeys(randomBytes(32), randomBytes(32));
    assert.notDeepEqual(keys.secretBox, keys.backupCodes);
    assert.notDeepEqual(keys.backupCodes, keys.emailCounters);
  });
});
