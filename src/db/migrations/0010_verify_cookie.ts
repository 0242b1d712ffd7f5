// The verify-only cookie for guarded applications (forward auth): each session may carry a second,
// independent token that only GET /api/verify accepts. As with the session token, only its SHA-256
// is stored, so a read of this table gives nobody a usable cookie.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('verify_token_hash', 'text').execute();
  // NULLs do not collide in a unique index (SQLite and PostgreSQL alike): sessions without one are fine.
  await db.schema.createIndex('sessions_verify_token_hash').on('sessions').column('verify_token_hash').unique().execute();
  // Until now GATEHOUSE_COOKIE_DOMAIN put the session cookie itself on every sibling host, where a
  // guarded application could read it and replay it against the API. Such cookies stay valid for
  // up to the session's lifetime, so every session ends here: everyone signs in once more.
  await sql`DELETE FROM sessions`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('sessions_verify_token_hash').execute();
  await db.schema.alterTable('sessions').dropColumn('verify_token_hash').execute();
}
