// What a backup records and what a restore refuses: the schema version and the key's fingerprint
// (never the key), a restore into an empty data folder, a newer schema or another key refused with
// a message, and `backup verify` catching a damaged file. (The drill with a running server:
// test/ops/restore-drill.test.ts.)
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../config.js';
import { SCHEMA_VERSION } from '../db/migrate.js';
import { KEY_FILE_NAME, keyFingerprint } from '../key-file.js';
import { seedUser, startTestApp } from '../test-support/harness.js';
import { backupDatabase, restoreDatabase, verifyBackup } from './backup.js';

describe('SQLite backups: what they record and what restore refuses', () => {
  let dir: string;
  let masterKey: Buffer;
  let live: string;
  let copy: string;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-backup-meta-'));
    masterKey = randomBytes(32);
    live = path.join(dir, 'live', 'gatehouse.db');
    copy = path.join(dir, 'copy.db');
    // The installation keeps its key in the key file beside the database (no GATEHOUSE_ENCRYPTION_KEY).
    fs.mkdirSync(path.dirname(live), { recursive: true });
    fs.writeFileSync(path.join(path.dirname(live), KEY_FILE_NAME), `${masterKey.toString('base64')}\n`, { mode: 0o600 });
    const t = await startTestApp({ url: `sqlite:${live}`, masterKey });
    await seedUser(t.s, 'kept@example.com');
    await t.close();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const configFor = (file: string, env: Record<string, string> = {}) => loadConfig({ GATEHOUSE_DATABASE_URL: `sqlite:${file}`, ...env });

  it('records the schema version and the key fingerprint, and never the key', async () => {
    const info = await backupDatabase(configFor(live), copy, () => Date.parse('2030-01-02T03:04:05Z'));
    assert.equal(info.schema, SCHEMA_VERSION);
    assert.equal(info.keyFingerprint, keyFingerprint(masterKey));
    assert.equal(info.createdAt, '2030-01-02T03:04:05.000Z');
    const bytes = fs.readFileSync(copy);
    assert.ok(!bytes.includes(masterKey), 'no raw key in the file');
    assert.ok(!bytes.includes(Buffer.from(masterKey.toString('base64'))), 'no base64 key in the file');
    assert.ok(!fs.existsSync(`${copy}-wal`), 'one self-contained file');
    assert.deepEqual(verifyBackup(configFor(live), copy), { ...info, keyMatches: true });
  });

  it('restores into an empty data folder once the key file is in place, without its own bookkeeping table', async () => {
    await backupDatabase(configFor(live), copy);
    const fresh = path.join(dir, 'fresh', 'data', 'gatehouse.db');
    await assert.rejects(restoreDatabase(configFor(fresh), copy), /needs the key it was made with.*put the key file/);
    assert.ok(!fs.existsSync(fresh), 'nothing was written');
    fs.mkdirSync(path.dirname(fresh), { recursive: true, mode: 0o700 });
    fs.copyFileSync(path.join(path.dirname(live), KEY_FILE_NAME), path.join(path.dirname(fresh), KEY_FILE_NAME));
    await restoreDatabase(configFor(fresh), copy);
    const db = new SQLite(fresh, { readonly: true });
    assert.deepEqual(db.prepare('select email from users').all(), [{ email: 'kept@example.com' }]);
    assert.equal(db.prepare("select name from sqlite_master where name = 'gatehouse_backup'").get(), undefined);
    db.close();
    const again = await startTestApp({ url: `sqlite:${fresh}`, masterKey });
    assert.equal((await again.client().signIn('kept@example.com')).status, 200);
    await again.close();
  });

  it('refuses a backup made with another key, and says so', async () => {
    await backupDatabase(configFor(live), copy);
    const other = randomBytes(32).toString('base64');
    await assert.rejects(restoreDatabase(configFor(live, { GATEHOUSE_ENCRYPTION_KEY: other }), copy), /made with another encryption key/);
    assert.throws(() => verifyBackup(configFor(live, { GATEHOUSE_ENCRYPTION_KEY: other }), copy), /made with another encryption key/);
  });

  it('refuses a backup from a newer schema, and says so', async () => {
    await backupDatabase(configFor(live), copy);
    const db = new SQLite(copy);
    db.prepare('insert into kysely_migration (name, timestamp) values (?, ?)').run('9999_from_the_future', '2030-01-01T00:00:00.000Z');
    db.close();
    await assert.rejects(restoreDatabase(configFor(live), copy), /made by a newer Gatehouse.*9999_from_the_future/);
    assert.throws(() => verifyBackup(configFor(live), copy), /newer Gatehouse/);
  });

  it('backup verify finds a damaged file and a file that is not a Gatehouse backup', async () => {
    await backupDatabase(configFor(live), copy);
    const bytes = fs.readFileSync(copy);
    const damaged = path.join(dir, 'damaged.db');
    // Overwrite the middle of the file (table pages), keep the header: SQLite opens it, the check fails.
    bytes.fill(0x5a, 4096 * 2, 4096 * 2 + 2048);
    fs.writeFileSync(damaged, bytes);
    assert.throws(() => verifyBackup(configFor(live), damaged), /integrity|cannot be opened|malformed/);
    const other = path.join(dir, 'other.db');
    new SQLite(other).exec('create table t (x)');
    assert.throws(() => verifyBackup(configFor(live), other), /not a Gatehouse database/);
    assert.throws(() => verifyBackup(configFor(live), path.join(dir, 'missing.db')), /there is no backup/);
  });
});
