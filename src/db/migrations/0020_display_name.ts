// A name for each account besides its email (issue 29): how the UI addresses and lists people.
// Nullable: no existing account has one until its owner or an administrator sets it.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  for (const column of ['display_name', 'given_name', 'family_name']) {
    await db.schema.alterTable('users').addColumn(column, 'text').execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ['display_name', 'given_name', 'family_name']) {
    await db.schema.alterTable('users').dropColumn(column).execute();
  }
}
