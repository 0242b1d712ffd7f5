// OpenID Connect Back-Channel Logout 1.0: an application may register an address that hears, by a
// signed logout token, when a Gatehouse session it got tokens through ends. Each (session,
// application, sid) is a row written when the code is issued ("waiting" while the session lives);
// once the session is gone, however it ended, the row becomes "due" and the instance that claims it
// sends the token (backchannel-worker.ts). The table is the durable outbox: a crash or an
// unreachable application delays a logout, never drops it.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('oidc_clients').addColumn('backchannel_logout_uri', 'text').execute();
  await db.schema
    .alterTable('oidc_clients')
    .addColumn('backchannel_logout_session_required', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('oidc_backchannel_logouts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('session_hash', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull().references('oidc_clients.id').onDelete('cascade'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('sid', 'text', (c) => c.notNull())
    // waiting (the session lives), due (send it), failed (gave up after the last retry).
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oidc_backchannel_logouts_link').unique().on('oidc_backchannel_logouts').columns(['session_hash', 'client_id', 'sid']).execute();
  await db.schema.createIndex('oidc_backchannel_logouts_due').on('oidc_backchannel_logouts').columns(['status', 'next_attempt_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('oidc_backchannel_logouts').execute();
  await db.schema.alterTable('oidc_clients').dropColumn('backchannel_logout_session_required').execute();
  await db.schema.alterTable('oidc_clients').dropColumn('backchannel_logout_uri').execute();
}
