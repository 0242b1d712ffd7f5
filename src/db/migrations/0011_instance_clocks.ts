// Server clock health (issue 21): each instance's heartbeat, so instances can compare clocks
// through the database; and an index for the phones' witness, which reads the most recent
// accepted codes across accounts every heartbeat (a scan of two_factor at a million users would not do).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('instance_clocks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('reported_at', 'bigint', (c) => c.notNull())
    .addColumn('database_offset_ms', 'bigint')
    .addColumn('error_ms', 'bigint')
    .execute();
  await db.schema.createIndex('two_factor_last_used_step').on('two_factor').column('last_used_step').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('two_factor_last_used_step').execute();
  await db.schema.dropTable('instance_clocks').execute();
}
