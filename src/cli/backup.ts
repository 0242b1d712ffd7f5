// SQLite backups that restore: an online copy (SQLite's backup API: the server keeps running) that
// records the schema it was made at and the key's fingerprint (never the key), a restore that
// refuses a backup from a newer schema or made with another key, and a verify that opens a backup
// and checks it. PostgreSQL has its own tools (pg_dump, pg_restore): the commands say so.
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import type { Config } from '../config.js';
import { createPrivateFile, sqlitePathFromUrl } from '../db/database.js';
import { SchemaTooNewError, unknownMigrations } from '../db/migrate.js';
import { KEY_FILE_NAME, keyFingerprint, loadOrCreateKeyFile } from '../key-file.js';
import { MaintenanceError } from './maintenance.js';

const POSTGRES_HINT =
  'with PostgreSQL, use its own tools: pg_dump --format=custom -f gatehouse.dump "$GATEHOUSE_DATABASE_URL", and pg_restore --no-owner -d "$GATEHOUSE_DATABASE_URL" gatehouse.dump into an empty database (Gatehouse refuses to start on a schema newer than it knows)';

/** The table a backup carries its own description in; dropped again by restore. */
const META_TABLE = 'gatehouse_backup';
const FORMAT = '1';

export interface BackupInfo {
  /** The newest migration the backup's database had: its schema version. */
  schema: string;
  migrations: number;
  /** null: a backup made before backups recorded it. */
  keyFingerprint: string | null;
  createdAt: string | null;
}

/** The database file, from the address alone (opening it would create it). */
function sqlitePath(config: Config): string {
  if (!config.databaseUrl.startsWith('sqlite:')) throw new MaintenanceError(POSTGRES_HINT);
  return sqlitePathFromUrl(config.databaseUrl);
}

/** The key the installation at `dbFile` uses, without creating one: the configured key, or the key file beside the database. */
function currentKey(config: Config, dbFile: string): Buffer | null {
  if (config.encryptionKey) return config.encryptionKey;
  const folder = path.dirname(dbFile);
  return fs.existsSync(path.join(folder, KEY_FILE_NAME)) ? loadOrCreateKeyFile(folder, () => {}) : null;
}

function migrationNames(db: SQLite.Database): string[] {
  const table = db.prepare("select name from sqlite_master where type = 'table' and name = 'kysely_migration'").get();
  if (!table) return [];
  return (db.prepare('select name from kysely_migration order by name').all() as Array<{ name: string }>).map((r) => r.name);
}

/** Opens a backup read-only and checks it: SQLite's integrity and foreign keys, and what it says of itself. */
function inspect(file: string): BackupInfo {
  if (!fs.existsSync(file)) throw new MaintenanceError(`there is no backup at ${file}`);
  let db: SQLite.Database;
  try {
    db = new SQLite(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new MaintenanceError(`${file} cannot be opened as a database (${(error as Error).message}); nothing was changed`);
  }
  try {
    let check: string;
    try {
      check = String(db.pragma('integrity_check', { simple: true }));
    } catch (error) {
      check = (error as Error).message;
    }
    if (check !== 'ok') throw new MaintenanceError(`${file} fails its integrity check (${check}); nothing was changed`);
    const orphans = db.pragma('foreign_key_check') as unknown[];
    if (orphans.length > 0) throw new MaintenanceError(`${file} has ${orphans.length} rows whose foreign keys point nowhere; nothing was changed`);
    const names = migrationNames(db);
    if (names.length === 0) throw new MaintenanceError(`${file} is not a Gatehouse database (it has no migrations table); nothing was changed`);
    const meta = new Map<string, string>();
    if (db.prepare("select name from sqlite_master where type = 'table' and name = ?").get(META_TABLE)) {
      for (const row of db.prepare(`select key, value from ${META_TABLE}`).all() as Array<{ key: string; value: string }>) meta.set(row.key, row.value);
    }
    return {
      schema: names[names.length - 1]!,
      migrations: names.length,
      keyFingerprint: meta.get('key_fingerprint') ?? null,
      createdAt: meta.get('created_at') ?? null,
    };
  } finally {
    db.close();
  }
}

/** Refuses what this version cannot restore: a newer schema, or another key. */
function checkRestorable(file: string, info: BackupInfo, key: Buffer | null, keyHint: string): void {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  const newer = unknownMigrations(migrationNames(db));
  db.close();
  if (newer.length > 0) throw new MaintenanceError(`${file} was made by a newer Gatehouse: ${new SchemaTooNewError(newer).message}`);
  if (info.keyFingerprint === null) return;
  if (!key) throw new MaintenanceError(`${file} needs the key it was made with, and there is none here: ${keyHint}; nothing was changed`);
  if (keyFingerprint(key) !== info.keyFingerprint)
    throw new MaintenanceError(
      `${file} was made with another encryption key (fingerprint ${info.keyFingerprint}, this installation's is ${keyFingerprint(key)}): its 2FA secrets could not be read. ${keyHint}; nothing was changed`,
    );
}

/** A consistent copy of the live database, taken with SQLite's online backup API (the server may keep running). */
export async function backupDatabase(config: Config, to: string, clock: () => number = Date.now): Promise<BackupInfo> {
  const file = sqlitePath(config);
  if (!fs.existsSync(file)) throw new MaintenanceError(`there is no database at ${file}`);
  if (fs.existsSync(to)) throw new MaintenanceError(`${to} exists already; choose a new file`);
  const key = currentKey(config, file);
  // The copy is as secret as the database: created 0600 before SQLite writes into it.
  createPrivateFile(to);
  const source = new SQLite(file, { fileMustExist: true });
  try {
    source.pragma('busy_timeout = 5000');
    await source.backup(to);
    // One self-contained file (no -wal beside it) that says what it is.
    const copy = new SQLite(to);
    try {
      copy.pragma('journal_mode = DELETE');
      copy.exec(`create table ${META_TABLE} (key text primary key, value text not null)`);
      const put = copy.prepare(`insert into ${META_TABLE} (key, value) values (?, ?)`);
      put.run('format', FORMAT);
      put.run('created_at', new Date(clock()).toISOString());
      put.run('schema', migrationNames(copy).at(-1) ?? '');
      if (key) put.run('key_fingerprint', keyFingerprint(key));
    } finally {
      copy.close();
    }
  } catch (error) {
    fs.rmSync(to, { force: true }); // nothing half-written
    throw error;
  } finally {
    source.close();
  }
  return inspect(to);
}

/** Opens a backup and checks it; with a key at hand, also that it is the backup's key. */
export function verifyBackup(config: Config, file: string): BackupInfo & { keyMatches: boolean | null } {
  const info = inspect(file);
  const newer = unknownMigrations(migrationNamesOf(file));
  if (newer.length > 0)
    throw new MaintenanceError(`${file} is sound but was made by a newer Gatehouse (migration ${newer.join(', ')}): restore it with that version`);
  const live = config.databaseUrl.startsWith('sqlite:') ? sqlitePath(config) : null;
  const key = live ? currentKey(config, live) : config.encryptionKey;
  const keyMatches = key && info.keyFingerprint ? keyFingerprint(key) === info.keyFingerprint : null;
  if (keyMatches === false) throw new MaintenanceError(`${file} is sound but was made with another encryption key (fingerprint ${info.keyFingerprint})`);
  return { ...info, keyMatches };
}

function migrationNamesOf(file: string): string[] {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    return migrationNames(db);
  } finally {
    db.close();
  }
}

/**
 * Replaces the database with a backup, or creates it in an empty data folder. Stop the server
 * first: it holds the file open. The key must be in place first (the configured one, or the key
 * file beside the database): a backup is refused unless it was made with that key.
 */
export async function restoreDatabase(config: Config, from: string): Promise<BackupInfo> {
  const file = sqlitePath(config);
  const info = inspect(from);
  const keyHint = config.encryptionKey
    ? 'set GATEHOUSE_ENCRYPTION_KEY to the key the backup was made with'
    : `put the key file the backup was made with at ${path.join(path.dirname(file), KEY_FILE_NAME)} (mode 0600), or set GATEHOUSE_ENCRYPTION_KEY`;
  checkRestorable(from, info, currentKey(config, file), keyHint);
  createPrivateFile(file);
  const backup = new SQLite(from, { readonly: true, fileMustExist: true });
  try {
    // Through SQLite, not a file copy: the WAL and the destination's locks are respected.
    await backup.backup(file);
  } finally {
    backup.close();
  }
  const restored = new SQLite(file);
  try {
    restored.exec(`drop table if exists ${META_TABLE}`);
    restored.pragma('journal_mode = WAL');
  } finally {
    restored.close();
  }
  return info;
}
