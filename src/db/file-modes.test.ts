// The SQLite database, its WAL and shared-memory files, the key file and backups are created
// 0600, in a data folder created 0700: they hold password hashes and sealed secrets.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { backupDatabase } from '../cli/backup.js';
import { loadOrCreateKeyFile } from '../key-file.js';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrate.js';

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

describe('file modes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-modes-'));
  // A permissive umask, as a service manager may set: the modes must not depend on it.
  const previous = process.umask(0o002);
  after(() => {
    process.umask(previous);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the data folder 0700 and the database, WAL, key file and backup 0600', async () => {
    const data = path.join(dir, 'data');
    const file = path.join(data, 'gatehouse.db');
    const database = openDatabase(`sqlite:${file}`);
    await migrateToLatest(database.db);
    assert.equal(modeOf(data), 0o700, 'data folder');
    assert.equal(modeOf(file), 0o600, 'database');
    assert.equal(modeOf(`${file}-wal`), 0o600, 'WAL');
    assert.equal(modeOf(`${file}-shm`), 0o600, 'shared memory');
    await database.close();

    const keyFolder = path.join(dir, 'keys');
    loadOrCreateKeyFile(keyFolder, () => {});
    assert.equal(modeOf(keyFolder), 0o700, 'key folder');
    assert.equal(modeOf(path.join(keyFolder, 'gatehouse.key')), 0o600, 'key file');

    const backup = path.join(dir, 'gatehouse-backup.db');
    await backupDatabase(loadConfig({ GATEHOUSE_DATABASE_URL: `sqlite:${file}` }), backup);
    assert.equal(modeOf(backup), 0o600, 'backup');
  });
});
