// Where the master key comes from: GATEHOUSE_ENCRYPTION_KEY, or (SQLite only) a key file
// created once beside the database with mode 0600.
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';

export const KEY_FILE_NAME = 'gatehouse.key';

export class KeyFileError extends Error {}

export function loadOrCreateKeyFile(dataFolder: string, log: (message: string) => void): Buffer {
  const file = path.join(dataFolder, KEY_FILE_NAME);
  if (fs.existsSync(file)) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new KeyFileError(`${file}: cannot be read (${(error as Error).message}). Fix its permissions or set GATEHOUSE_ENCRYPTION_KEY.`);
    }
    const key = Buffer.from(text, 'base64');
    if (key.length !== 32) {
      throw new KeyFileError(`${file}: must hold 32 bytes in base64 (found ${key.length}). Restore the right file or set GATEHOUSE_ENCRYPTION_KEY.`);
    }
    return key;
  }
  fs.mkdirSync(dataFolder, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  // 'wx' fails if another process created it in the meantime: then read theirs.
  try {
    fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateKeyFile(dataFolder, log);
    throw error;
  }
  log(`Created the encryption key file ${file} (mode 0600). Back it up with the database: without it, 2FA secrets cannot be read.`);
  return key;
}

/**
 * What a backup records of the key: a SHA-256 of it under a label of its own, so a restore can say
 * "made with another key" without the backup holding anything that helps recover the key.
 */
export function keyFingerprint(key: Buffer): string {
  return createHash('sha256').update('gatehouse key fingerprint\0').update(key).digest('hex').slice(0, 32);
}
