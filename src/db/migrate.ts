// Applies pending migrations in name order. Kysely's Migrator takes a lock first
// (pg_advisory_xact_lock on PostgreSQL), so instances starting together do not race.
import { DEFAULT_MIGRATION_TABLE, Migrator, PostgresAdapter, sql, type Migration, type MigrationProvider } from 'kysely';
import type { Kysely } from 'kysely';
import * as m0001 from './migrations/0001_foundation.js';
import * as m0002 from './migrations/0002_two_factor.js';
import * as m0003 from './migrations/0003_email_byte_order.js';
import * as m0004 from './migrations/0004_attempt_runs.js';
import * as m0005 from './migrations/0005_trusted_devices.js';
import * as m0006 from './migrations/0006_sign_in_warning.js';
import * as m0010 from './migrations/0010_verify_cookie.js';
import * as m0012 from './migrations/0012_oidc.js';
import * as m0007 from './migrations/0007_session_devices.js';
import * as m0008 from './migrations/0008_email_nfkc.js';
import * as m0011 from './migrations/0011_instance_clocks.js';
import * as m0016 from './migrations/0016_webauthn.js';
import * as m0015 from './migrations/0015_mail_outbox.js';
import * as m0017 from './migrations/0017_step_up_factor.js';
import * as m0018 from './migrations/0018_access.js';
import * as m0019 from './migrations/0019_legacy_pkce.js';
import * as m0020 from './migrations/0020_display_name.js';
import * as m0021 from './migrations/0021_backchannel_logout.js';
import * as m0022 from './migrations/0022_directory.js';
import * as m0023 from './migrations/0023_onboarding.js';
import * as m0024 from './migrations/0024_self_service.js';
import * as m0025 from './migrations/0025_upstream.js';
import * as m0026 from './migrations/0026_upstream_presets.js';

// Listed here rather than read from the folder, so the same code runs from src/ and dist/.
const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_two_factor': m0002,
  '0003_email_byte_order': m0003,
  '0004_attempt_runs': m0004,
  '0005_trusted_devices': m0005,
  '0006_sign_in_warning': m0006,
  '0010_verify_cookie': m0010,
  '0012_oidc': m0012,
  '0007_session_devices': m0007,
  '0008_email_nfkc': m0008,
  '0011_instance_clocks': m0011,
  '0016_webauthn': m0016,
  '0015_mail_outbox': m0015,
  '0017_step_up_factor': m0017,
  '0018_access': m0018,
  '0019_legacy_pkce': m0019,
  '0020_display_name': m0020,
  '0021_backchannel_logout': m0021,
  '0022_directory': m0022,
  '0023_onboarding': m0023,
  '0024_self_service': m0024,
  '0025_upstream': m0025,
  '0026_upstream_presets': m0026,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** The migrations this version knows, in the order they apply: a database with any other is from a newer version. */
export const KNOWN_MIGRATIONS: readonly string[] = Object.freeze(Object.keys(migrations).sort());

/** The latest migration this version knows: the schema version a backup records. */
export const SCHEMA_VERSION = KNOWN_MIGRATIONS[KNOWN_MIGRATIONS.length - 1]!;

/** The database was migrated by a newer Gatehouse: this (older) one must not run on it. */
export class SchemaTooNewError extends Error {
  constructor(readonly unknown: readonly string[]) {
    super(
      `the database was upgraded by a newer version of Gatehouse (it has migration ${unknown.join(', ')}, which this version does not know, its newest being ${SCHEMA_VERSION}). Nothing was changed. Run that newer version (or a later one), or restore a backup taken before the upgrade; downgrades are not supported.`,
    );
    this.name = 'SchemaTooNewError';
  }
}

/** The applied migrations this version does not know (names from the migrations table). */
export function unknownMigrations(applied: readonly string[]): string[] {
  return applied.filter((name) => !Object.hasOwn(migrations, name));
}

/** The names in the migrations table (empty for a database never migrated). */
export async function appliedMigrations(db: Kysely<any>): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === DEFAULT_MIGRATION_TABLE)) return [];
  const rows = await db.selectFrom(DEFAULT_MIGRATION_TABLE).select('name').orderBy('name').execute();
  return rows.map((r) => String(r.name));
}

export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  return withoutStatementTimeout(db, async (conn) => {
    const { error, results } = await new Migrator({ db: conn, provider }).migrateToLatest();
    if (error) {
      // Kysely refuses a database that has migrations it was not given ("corrupted migrations"): that
      // is an older version started on a newer schema, said here in words an operator can act on.
      const newer = unknownMigrations(await appliedMigrations(conn).catch(() => []));
      if (newer.length > 0) throw new SchemaTooNewError(newer);
      throw error instanceof Error ? error : new Error(String(error));
    }
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  });
}

/**
 * Requests run under PostgreSQL's statement_timeout (database.ts: no request waits past a bound);
 * a migration may rightly take longer on a large database, so migrations run on one connection
 * with the timeout off. SQLite has no such setting.
 */
function withoutStatementTimeout<T>(db: Kysely<any>, run: (conn: Kysely<any>) => Promise<T>): Promise<T> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return run(db);
  return db.connection().execute(async (conn) => {
    await sql`set statement_timeout = 0`.execute(conn);
    try {
      return await run(conn);
    } finally {
      await sql`reset statement_timeout`.execute(conn);
    }
  });
}

/** Applies the migrations up to and including `name` (tests of an upgrade from that point). */
export async function migrateTo(db: Kysely<any>, name: string): Promise<void> {
  const { error } = await new Migrator({ db, provider }).migrateTo(name);
  if (error) throw error instanceof Error ? error : new Error(String(error));
}
