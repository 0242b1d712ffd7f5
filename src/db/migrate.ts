// Applies pending migrations in name order. Kysely's Migrator takes a lock first
// (pg_advisory_xact_lock on PostgreSQL), so instances starting together do not race.
import { Migrator, type Migration, type MigrationProvider } from 'kysely';
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
import * as m0022 from './migrations/0022_directory.js';

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
  '0022_directory': m0022,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Applies the migrations up to and including `name` (tests of an upgrade from that point). */
export async function migrateTo(db: Kysely<any>, name: string): Promise<void> {
  const { error } = await new Migrator({ db, provider }).migrateTo(name);
  if (error) throw error instanceof Error ? error : new Error(String(error));
}
