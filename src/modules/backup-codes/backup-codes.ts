// Backup codes: 16 characters of Crockford's base32 alphabet (no i, l, o, u: nothing to
// confuse), so 80 random bits each, shown as four groups of four. They are stored one row per
// code as HMAC-SHA256 under a key derived from GATEHOUSE_ENCRYPTION_KEY with a per-code salt:
// a stolen database alone does not let anyone test guesses offline.
import { randomBytes, randomInt } from 'node:crypto';
import { constantTimeEqual } from '../../crypto/tokens.js';
import { keyedHash } from '../../crypto/secret-box.js';

export const BACKUP_CODE_COUNT = 10;
export const BACKUP_CODE_LENGTH = 16;
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export function generateBackupCode(): string {
  let raw = '';
  for (let i = 0; i < BACKUP_CODE_LENGTH; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
  return formatBackupCode(raw);
}

export function generateBackupCodes(count = BACKUP_CODE_COUNT): string[] {
  const codes = new Set<string>();
  while (codes.size < count) codes.add(generateBackupCode());
  return [...codes];
}

export function formatBackupCode(raw: string): string {
  return raw.match(/.{1,4}/g)!.join('-');
}

/**
 * Case-insensitive; spaces and hyphens ignored; Crockford's look-alikes read as what they
 * resemble (i, l → 1, o → 0). Returns null when it cannot be a backup code.
 */
export function normalizeBackupCode(input: string): string | null {
  const compact = input.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  if (compact.length !== BACKUP_CODE_LENGTH) return null;
  for (const ch of compact) if (!ALPHABET.includes(ch)) return null;
  return compact;
}

export function hashBackupCode(key: Buffer, normalized: string, salt: string): string {
  return keyedHash(key, 'backup-code', salt, normalized);
}

export function newBackupCodeRecord(key: Buffer, code: string): { salt: string; codeHash: string } {
  const salt = randomBytes(16).toString('hex');
  return { salt, codeHash: hashBackupCode(key, normalizeBackupCode(code)!, salt) };
}

/** Which stored code (if any) the input is: every candidate is checked, in constant time each. */
export function findMatchingBackupCode<T extends { salt: string; code_hash: string }>(key: Buffer, input: string, stored: T[]): T | null {
  const normalized = normalizeBackupCode(input);
  if (normalized === null) return null;
  let match: T | null = null;
  for (const row of stored) {
    if (constantTimeEqual(hashBackupCode(key, normalized, row.salt), row.code_hash) && match === null) match = row;
  }
  return match;
}
