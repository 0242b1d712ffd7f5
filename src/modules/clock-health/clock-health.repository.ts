// SQL for the instances' heartbeats (instance_clocks) and the database server's clock.
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB, InstanceClocksTable } from '../../db/schema.js';

export type InstanceClockRow = Selectable<InstanceClocksTable>;

/** The database server's clock in ms (PostgreSQL). clock_timestamp(), not now(): now() is the transaction's start. */
export async function readDatabaseClockMs(db: Kysely<DB>): Promise<number> {
  const result = await sql<{ now_ms: number }>`select (extract(epoch from clock_timestamp()) * 1000)::float8 as now_ms`.execute(db);
  return Number(result.rows[0]!.now_ms);
}

export async function saveHeartbeat(db: Kysely<DB>, row: InstanceClockRow): Promise<void> {
  await db
    .insertInto('instance_clocks')
    .values(row)
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({ name: row.name, reported_at: row.reported_at, database_offset_ms: row.database_offset_ms, error_ms: row.error_ms }),
    )
    .execute();
}

export async function listInstanceClocks(db: Kysely<DB>): Promise<InstanceClockRow[]> {
  return db.selectFrom('instance_clocks').selectAll().orderBy('name').orderBy('id').execute();
}

export async function deleteInstanceClock(db: Kysely<DB>, id: string): Promise<void> {
  await db.deleteFrom('instance_clocks').where('id', '=', id).execute();
}

/** Forgets instances that stopped without saying so (killed) long ago. */
export async function pruneInstanceClocks(db: Kysely<DB>, reportedBefore: number): Promise<void> {
  await db.deleteFrom('instance_clocks').where('reported_at', '<', reportedBefore).execute();
}
