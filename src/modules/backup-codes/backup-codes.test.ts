import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  BACKUP_CODE_COUNT,
  BACKUP_CODE_LENGTH,
  findMatchingBackupCode,
  generateBackupCodes,
  newBackupCodeRecord,
  normalizeBackupCode,
} from './backup-codes.js';

describe('backup codes', () => {
  const key = randomBytes(32);

  it('makes 10 distinct codes shaped xxxx-xxxx-xxxx-xxxx with at least 64 bits each', () => {
    const codes = generateBackupCodes();
    assert.equal(codes.length, BACKUP_CODE_COUNT);
    assert.equal(new Set(codes).size, BACKUP_CODE_COUNT);
    for (const code of codes) assert.match(code, /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
  });

  it('draws every one of the 32 symbols, so 16 of them carry 80 bits', () => {
    // 1600 draws: a symbol of a uniform 32 goes missing with probability 32 · (31/32)^1600 ≈ 10^-20.
    const used = new Set(generateBackupCodes(100).join('').replace(/-/g, ''));
    assert.equal(used.size, 32, [...used].sort().join(''));
    assert.equal(BACKUP_CODE_LENGTH * Math.log2(used.size), 80);
  });

  it('reads typed input case-insensitively, ignoring spaces and hyphens', () => {
    assert.equal(normalizeBackupCode('k7qm-2xpt-9dwr-hc4n'), 'k7qm2xpt9dwrhc4n');
    assert.equal(normalizeBackupCode('K7QM-2XPT-9DWR-HC4N'), 'k7qm2xpt9dwrhc4n');
    assert.equal(normalizeBackupCode(' K7qm 2xPT-9dwr\thc4n\n'), 'k7qm2xpt9dwrhc4n', 'spaces, a tab, a newline');
    assert.equal(normalizeBackupCode('k7qm\u00a02xpt--9dwr - hc4n'), 'k7qm2xpt9dwrhc4n', 'a pasted no-break space, doubled hyphens');
    assert.equal(normalizeBackupCode('k7qm2xpt9dwrhc4n'), 'k7qm2xpt9dwrhc4n', 'no separators at all');
  });

  it('reads the look-alikes i, l as 1 and o as 0, in either case', () => {
    assert.equal(normalizeBackupCode('i1l1-I1L1-o0O0-0000'), '1111111100000000');
    assert.equal(normalizeBackupCode('k7qm-2xpt-9dwr-hc4I'), 'k7qm2xpt9dwrhc41');
    assert.equal(normalizeBackupCode('k7qm-2xpt-9dwr-hc4l'), 'k7qm2xpt9dwrhc41');
    assert.equal(normalizeBackupCode('k7qm-2xpt-9dwr-hcOn'), 'k7qm2xpt9dwrhc0n');
  });

  it('refuses what cannot be a code: wrong length, u, other separators', () => {
    for (const input of [
      '',
      'k7qm-2xpt-9dwr',
      'k7qm-2xpt-9dwr-hc4',
      'k7qm-2xpt-9dwr-hc4nn',
      'k7qm-2xpt-9dwr-hc4u',
      'k7qm_2xpt_9dwr_hc4n',
      'k7qm.2xpt.9dwr.hc4n',
      'k7qm-2xpt-9dwr-hc4ñ',
    ]) {
      assert.equal(normalizeBackupCode(input), null, JSON.stringify(input));
    }
  });

  it('matches a code typed with look-alikes and separators to the code stored', () => {
    const stored = newBackupCodeRecord(key, '1k0m-2xp1-0dwr-hc41');
    const rows = [{ id: 'a', salt: stored.salt, code_hash: stored.codeHash }];
    assert.equal(findMatchingBackupCode(key, 'Ik0m 2xpl Odwr hc4i', rows)?.id, 'a');
    assert.equal(findMatchingBackupCode(key, 'lKoM-2XPI-odwr-HC4L', rows)?.id, 'a');
    assert.equal(findMatchingBackupCode(key, '1k0m-2xp1-0dwr-hc42', rows), null);
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
