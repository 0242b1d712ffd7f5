// People looking after their own accounts (issue 31, second half): registering themselves, changing
// their email with a way back, and the approval an administrator may ask for first.
//
// - registrations: one per request to register (only the link's SHA-256; 24 hours). A request for
//   an email that already has an account writes a row too, whose link is never mailed: the two cases
//   do the same database work, so neither the answer nor its timing tells them apart.
// - email_changes: a change asked for on the security page. The link to the new address confirms
//   it; from then on, for 72 hours, the link mailed to the old address undoes it. Each token is
//   stored only as its SHA-256.
// - users.awaiting_approval: 1 while a self-registered account waits for an administrator (it cannot
//   sign in until then).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('registrations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('user_id', 'text')
    .execute();
  await db.schema.createIndex('registrations_email').on('registrations').column('email').execute();

  await db.schema
    .createTable('email_changes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('old_email', 'text', (c) => c.notNull())
    .addColumn('new_email', 'text', (c) => c.notNull())
    .addColumn('confirm_token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('undo_token_hash', 'text', (c) => c.unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('confirmed_at', 'bigint')
    .addColumn('undo_until', 'bigint')
    .addColumn('undone_at', 'bigint')
    .addColumn('cancelled_at', 'bigint')
    .execute();
  await db.schema.createIndex('email_changes_user_id').on('email_changes').column('user_id').execute();

  await db.schema
    .alterTable('users')
    .addColumn('awaiting_approval', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('awaiting_approval').execute();
  await db.schema.dropTable('email_changes').execute();
  await db.schema.dropTable('registrations').execute();
}
