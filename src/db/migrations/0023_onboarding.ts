// Getting people in (issue 31): the first administrator set up in the browser with a one-time link,
// invitations by mail, and an account-level 2FA requirement an invitation can set.
//
// - setup_tokens: the links a server with no users prints (only their SHA-256; an hour each).
//   setup_claim holds one row once the first administrator exists: its primary key is what makes
//   two racing setups (on two instances, with two links) end with exactly one administrator.
// - invitations: one per invited email (only the link's SHA-256), its role, groups (a JSON array
//   of names), language, and whether 2FA is required from the first sign-in; accepted, revoked or
//   expired, it stays listed for the audit trail until pruned.
// - users.two_factor_required: 1 when an invitation (or an administrator) requires 2FA of this one
//   account whatever the policy says, with no grace period.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('setup_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('setup_claim')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('invitations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('groups', 'text', (c) => c.notNull().defaultTo(sql`'[]'`))
    .addColumn('require_two_factor', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locale', 'text', (c) => c.notNull().defaultTo(sql`'en'`))
    .addColumn('invited_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('sent_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('accepted_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .addColumn('user_id', 'text')
    .execute();
  await db.schema.createIndex('invitations_email').on('invitations').column('email').execute();

  await db.schema
    .alterTable('users')
    .addColumn('two_factor_required', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('two_factor_required').execute();
  await db.schema.dropTable('invitations').execute();
  await db.schema.dropTable('setup_claim').execute();
  await db.schema.dropTable('setup_tokens').execute();
}
