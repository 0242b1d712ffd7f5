import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BACKUP_CODE_COUNT, findMatchingBackupCode, generateBackupCodes, newBackupCodeRecord, normalizeBackupCode } from './backup-codes.js';

describe('backup codes', () => {
  const key = randomBytes(32);

  it('makes 10 distinct codes shaped xxxx-xxxx-xxxx-xxxx with at least 64 bits each', () => {
    const codes = generateBackupCodes();
    assert.equal(codes.length, BACKUP_CODE_COUNT);
    assert.equal(new Set(codes).size, BACKUP_CODE_COUNT);
    for (const code of codes) assert.match(code, /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
    // 16 symbols of a 32-letter alphabet = 80 bits
    assert.ok(16 * Math.log2(32) >= 64);
  });

  it('reads input case-insensitively, ignoring spaces and hyphens', () => {
    assert.equal(normalizeBackupCode(' K7QM 2XPT-9DWR hc4n '), 'k7qm2xpt9dwrhc4n');
    assert.equal(normalizeBackupCode('k7qm-2xpt-9dwr'), null);
    assert.equal(normalizeBackupCode('k7qm-2xpt-9dwr-hc4u'), null, 'u is not in the alphabet');
  });

  it('matches a stored code by its keyed hash, and only with the right key', () => {
    const [code, other] = generateBackupCodes(2) as [string, string];
    const rows = [code, other].map((c, i) => {
      const r = newBackupCodeRecord(key, c);
      return { id: String(i), salt: r.salt, code_hash: r.codeHash };
    });
    assert.equal(findMatchingBackupCode(key, code.toUpperCase().replace(/-/g, ' '), rows)?.id, '0');
    assert.equal(findMatchingBackupCode(key, other, rows)?.id, '1');
    assert.equal(findMatchingBackupCode(randomBytes(32), code, rows), null);
    assert.equal(findMatchingBackupCode(key, '0000-0000-0000-0000', rows), null);
    assert.ok(!rows.some((r) => r.code_hash.includes(code.replace(/-/g, ''))));
  });

  it('salts every code: the same code hashes differently twice', () => {
    assert.notEqual(newBackupCodeRecord(key, 'k7qm-2xpt-9dwr-hc4n').codeHash, newBackupCodeRecord(key, 'k7qm-2xpt-9dwr-hc4n').codeHash);
  });
});
