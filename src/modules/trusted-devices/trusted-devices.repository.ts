// SQL for trusted devices (device cookies): rows keyed by the SHA-256 of the cookie's token.
import type { Kysely, Selectable } from 'kysely';
import { compiled } from '../../db/compiled.js';
import type { DB, TrustedDevicesTable } from '../../db/schema.js';

export type TrustedDeviceRow = Selectable<TrustedDevicesTable>;

export async function insertDevice(db: Kysely<DB>, row: TrustedDeviceRow): Promise<void> {
  await db.insertInto('trusted_devices').values(row).execute();
}

/** The live device behind a token hash, only if it belongs to `userId` (a cookie is bound to one account). */
// Every sign-in from a known browser runs these two: built once (db/compiled.ts).
const selectDevice = compiled((db, tokenHash: string, userId: string, now: number) =>
  db.selectFrom('trusted_devices').selectAll().where('token_hash', '=', tokenHash).where('user_id', '=', userId).where('expires_at', '>', now),
);
const updateLastUsed = compiled((db, id: string, now: number) => db.updateTable('trusted_devices').set({ last_used_at: now }).where('id', '=', id));

export async function findDevice(db: Kysely<DB>, tokenHash: string, userId: string, now: number): Promise<TrustedDeviceRow | undefined> {
  return (await selectDevice(db, tokenHash, userId, now)).rows[0];
}

export async function touchDevice(db: Kysely<DB>, id: string, now: number): Promise<void> {
  await updateLastUsed(db, id, now);
}

export async function listDevices(db: Kysely<DB>, userId: string, now: number): Promise<TrustedDeviceRow[]> {
  return db.selectFrom('trusted_devices').selectAll().where('user_id', '=', userId).where('expires_at', '>', now).orderBy('last_used_at', 'desc').execute();
}

/** Answers whether the device existed (and was the user's). */
export async function deleteDevice(db: Kysely<DB>, userId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('trusted_devices').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export async function deleteExpiredDevices(db: Kysely<DB>, now: number): Promise<void> {
  await db.deleteFrom('trusted_devices').where('expires_at', '<=', now).execute();
}
