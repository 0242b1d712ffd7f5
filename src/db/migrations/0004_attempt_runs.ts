// Attempt counters keep counting across locks (issue 13): the refusals while locked are counted
// too, so the audit log can report them as one event per lock instead of one per attempt.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('attempt_counters')
    .addColumn('refused', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('attempt_counters').dropColumn('refused').execute();
}
