// Encryption at rest for TOTP secrets: AES-256-GCM with a fresh 96-bit nonce per message.
// The owner's user id is the associated data, so a ciphertext copied to another user's row
// fails authentication instead of decrypting.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export interface Keys {
  /** Encrypts TOTP secrets. Derived from GATEHOUSE_ENCRYPTION_KEY: rotating that key re-encrypts them. */
  readonly secretBox: Buffer;
  /** Keys the backup-code hashes: without it a stolen database cannot be brute-forced. */
  readonly backupCodes: Buffer;
  /** Keys the hash of emails that have no account (lockout counters), so they are not stored in clear. */
  readonly emailCounters: Buffer;
}

function hkdf(key: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `gatehouse ${info}`, 32));
}

/** The key that encrypts TOTP secrets (and the pepper below), derived from the master key (RFC 5869). */
export function deriveSecretBoxKey(master: Buffer): Buffer {
  return hkdf(master, 'totp-secret v1');
}

/**
 * Hashes cannot be re-keyed, so the keys for backup-code and email hashes come from a random
 * pepper kept in the database, encrypted under the master key: rotating the master key
 * re-encrypts the pepper, and every stored hash stays valid.
 */
export function deriveKeys(master: Buffer, pepper: Buffer): Keys {
  return Object.freeze({
    secretBox: deriveSecretBoxKey(master),
    backupCodes: hkdf(pepper, 'backup-code v1'),
    emailCounters: hkdf(pepper, 'email-counter v1'),
  });
}

export function encryptSecret(key: Buffer, plaintext: string, associatedData: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(associatedData));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${VERSION}.${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64')}`;
}

export function decryptSecret(key: Buffer, sealed: string, associatedData: string): string {
  const [version, payload] = sealed.split('.');
  if (version !== VERSION || payload === undefined) throw new Error('unknown ciphertext format');
  const raw = Buffer.from(payload, 'base64');
  const nonce = raw.subarray(0, 12);
  const tag = raw.subarray(raw.length - 16);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(Buffer.from(associatedData));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
}

export function keyedHash(key: Buffer, ...parts: string[]): string {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part).update('\0');
  return mac.digest('hex');
}
