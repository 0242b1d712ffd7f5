// The pepper behind backup-code and email hashes: 32 random bytes made once per installation,
// stored in the settings table sealed under the master key (never in clear), shared by every
// instance. Created by whichever instance starts first; the others read it.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { openPepper, sealPepper } from '../../crypto/keyring.js';
import { readSetting, writeSetting, writeSettingOnce } from './settings.repository.js';

export const PEPPER_SETTING = 'hash_pepper';

export async function loadPepper(db: Kysely<DB>, master: Buffer, now: number): Promise<Buffer> {
  return openPepper(master, await writeSettingOnce(db, PEPPER_SETTING, sealPepper(master, randomBytes(32)), now));
}

/** Re-seals the pepper under a new master key (inside the caller's transaction). */
export async function resealPepper(trx: Kysely<DB>, oldKey: Buffer, newKey: Buffer, now: number): Promise<void> {
  const sealed = await readSetting(trx, PEPPER_SETTING);
  if (sealed) await writeSetting(trx, PEPPER_SETTING, sealPepper(newKey, openPepper(oldKey, sealed)), now);
}
