// Email search is a prefix search on the unique email index (fast at millions of users). A
// prefix is a contiguous range only under byte order: SQLite's BINARY collation already is,
// PostgreSQL's default (locale) collation is not, so there the column becomes COLLATE "C".
import { sql, type Kysely } from 'kysely';

async function isPostgres(db: Kysely<unknown>): Promise<boolean> {
  try {
    await sql`select current_setting('server_version')`.execute(db);
    return true;
  } catch {
    return false;
  }
}

export async function up(db: Kysely<unknown>): Promise<void> {
  if (await isPostgres(db)) await sql`ALTER TABLE users ALTER COLUMN email TYPE text COLLATE "C"`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (await isPostgres(db)) await sql`ALTER TABLE users ALTER COLUMN email TYPE text COLLATE "default"`.execute(db);
}
