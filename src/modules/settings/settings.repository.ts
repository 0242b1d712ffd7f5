// SQL for the settings table: one JSON (or sealed) value per key, shared by every instance.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';

export async function readSetting(db: Kysely<DB>, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function writeSetting(db: Kysely<DB>, key: string, value: string, now: number): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key, value, updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
    .execute();
}

/** Stores `value` only when the key has none yet (the first instance to start wins); answers the stored value. */
export async function writeSettingOnce(db: Kysely<DB>, key: string, value: string, now: number): Promise<string> {
  await db
    .insertInto('settings')
    .values({ key, value, updated_at: now })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  return (await readSetting(db, key)) ?? value;
}
