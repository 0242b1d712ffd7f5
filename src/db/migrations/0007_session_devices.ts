// Sessions that follow the account: a public id for each session (the devices list names
// sessions by it, never by their token hash), the browser's user agent (truncated) for that list,
// and when the session last re-authenticated (step-up: sensitive actions need one within 10 min).
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('public_id', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('user_agent', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('reauthenticated_at', 'bigint').execute();
  // Sessions open at upgrade get an id too, so nobody is signed out by it.
  const rows = (await db.selectFrom('sessions').select('token_hash').execute()) as Array<{ token_hash: string }>;
  for (const row of rows) {
    await db
      .updateTable('sessions')
      .set({ public_id: randomBytes(16).toString('base64url') })
      .where('token_hash', '=', row.token_hash)
      .execute();
  }
  await db.schema.createIndex('sessions_public_id').on('sessions').column('public_id').unique().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sessions_public_id').execute();
  await db.schema.alterTable('sessions').dropColumn('reauthenticated_at').execute();
  await db.schema.alterTable('sessions').dropColumn('user_agent').execute();
  await db.schema.alterTable('sessions').dropColumn('public_id').execute();
}
