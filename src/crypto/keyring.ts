// The pepper behind backup-code and email hashes: 32 random bytes made once per installation,
// stored in the settings table encrypted under the master key (never in clear), shared by
// every instance. Created by whichever instance starts first; the others read it.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { decryptSecret, deriveSecretBoxKey, encryptSecret } from './secret-box.js';

export const PEPPER_SETTING = 'hash_pepper';
const PEPPER_AAD = 'gatehouse hash pepper';

export class WrongKeyError extends Error {
  constructor() {
    super('GATEHOUSE_ENCRYPTION_KEY does not open this database (it was set up with another key). Use the original key, or rotate with `gatehouse rotate-key`.');
  }
}

export function sealPepper(master: Buffer, pepper: Buffer): string {
  return encryptSecret(deriveSecretBoxKey(master), pepper.toString('base64'), PEPPER_AAD);
}

export function openPepper(master: Buffer, sealed: string): Buffer {
  try {
    return Buffer.from(decryptSecret(deriveSecretBoxKey(master), sealed, PEPPER_AAD), 'base64');
  } catch {
    throw new WrongKeyError();
  }
}

export async function loadPepper(db: Kysely<DB>, master: Buffer, now: number): Promise<Buffer> {
  await db
    .insertInto('settings')
    .values({ key: PEPPER_SETTING, value: sealPepper(master, randomBytes(32)), updated_at: now })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db.selectFrom('settings').select('value').where('key', '=', PEPPER_SETTING).executeTakeFirstOrThrow();
  return openPepper(master, row.value);
}
