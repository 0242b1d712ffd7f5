// The owner is told about failed second steps and locks since their last sign-in (kept until
// acknowledged or the next sign-in), and audit events say when the actor was the command line.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sign_in_warnings')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('warning', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('audit_events').addColumn('actor_kind', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_events').dropColumn('actor_kind').execute();
  await db.schema.dropTable('sign_in_warnings').execute();
}
