// Operator commands that work on the database as a whole: online backup and restore (SQLite),
// and rotating GATEHOUSE_ENCRYPTION_KEY.
import fs from 'node:fs';
import SQLite from 'better-sqlite3';
import type { Config } from '../config.js';
import { createPrivateFile, openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { decryptSecret, deriveSecretBoxKey, encryptSecret } from '../crypto/secret-box.js';
import { resealPepper } from '../modules/settings/index.js';
import { listSecretCiphertexts, updateSecretCiphertext } from '../modules/two-factor/index.js';
import { secretAad } from '../modules/oidc/index.js';
import { resealOidcSecrets } from '../modules/oidc/index.js';

export class MaintenanceError extends Error {}

const POSTGRES_HINT =
  'with PostgreSQL, use its own tools: pg_dump --format=custom -f gatehouse.dump "$GATEHOUSE_DATABASE_URL", and pg_restore --clean -d "$GATEHOUSE_DATABASE_URL" gatehouse.dump';

function sqlitePath(config: Config): string {
  const database = openDatabase(config.databaseUrl);
  const file = database.sqlitePath;
  void database.close();
  if (!file) throw new MaintenanceError(POSTGRES_HINT);
  return file;
}

function integrity(file: string): string {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

/** A consistent copy of the live database, taken with SQLite's online backup API (the server may keep running). */
export async function backupDatabase(config: Config, to: string): Promise<void> {
  const file = sqlitePath(config);
  if (!fs.existsSync(file)) throw new MaintenanceError(`there is no database at ${file}`);
  if (fs.existsSync(to)) throw new MaintenanceError(`${to} exists already; choose a new file`);
  // The copy is as secret as the database: created 0600 before SQLite writes into it.
  createPrivateFile(to);
  const source = new SQLite(file, { fileMustExist: true });
  try {
    source.pragma('busy_timeout = 5000');
    await source.backup(to);
  } catch (error) {
    fs.rmSync(to, { force: true }); // nothing half-written
    throw error;
  } finally {
    source.close();
  }
  const check = integrity(to);
  if (check !== 'ok') throw new MaintenanceError(`the copy failed its integrity check: ${check}`);
}

/** Replaces the database with a backup. Stop the server first: it holds the file open. */
export async function restoreDatabase(config: Config, from: string): Promise<void> {
  const file = sqlitePath(config);
  if (!fs.existsSync(from)) throw new MaintenanceError(`there is no backup at ${from}`);
  const check = integrity(from);
  if (check !== 'ok') throw new MaintenanceError(`${from} fails its integrity check (${check}); nothing was changed`);
  createPrivateFile(file);
  const backup = new SQLite(from, { readonly: true, fileMustExist: true });
  try {
    // Through SQLite, not a file copy: the WAL and the destination's locks are respected.
    await backup.backup(file);
  } finally {
    backup.close();
  }
}

/**
 * Re-encrypts every TOTP secret, the hash pepper, the OpenID Connect signing keys and client secrets from the old master key to the one now in
 * GATEHOUSE_ENCRYPTION_KEY, in one transaction: either every row moves to the new key or none does.
 */
export async function rotateKey(config: Config, oldKey: Buffer, clock: () => number = Date.now): Promise<number> {
  const newKey = config.encryptionKey;
  if (!newKey) throw new MaintenanceError('set GATEHOUSE_ENCRYPTION_KEY to the new key (the old one is read from standard input)');
  if (newKey.equals(oldKey)) throw new MaintenanceError('the new key is the same as the old one');
  const database = openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(database.db);
    const oldBox = deriveSecretBoxKey(oldKey);
    const newBox = deriveSecretBoxKey(newKey);
    return await database.db.transaction().execute(async (trx) => {
      await resealPepper(trx, oldKey, newKey, clock());
      const rows = await listSecretCiphertexts(trx);
      for (const row of rows) {
        let secret: string;
        try {
          secret = decryptSecret(oldBox, row.secret_ciphertext, row.user_id);
        } catch {
          throw new MaintenanceError('the old key does not decrypt the stored secrets; nothing was changed');
        }
        await updateSecretCiphertext(trx, row.user_id, encryptSecret(newBox, secret, row.user_id));
      }
      await resealOidcSecrets(trx, oldBox, newBox, secretAad);
      return rows.length;
    });
  } finally {
    await database.close();
  }
}
