// SQLite on a full disk: the data folder on a small tmpfs this test mounts, filled up while the
// server runs. Sign-ins that must write are refused with the documented 503 `unavailable` (never a
// 500, never "wrong password"), reads go on, nothing is corrupted (`PRAGMA integrity_check`), and
// everything works again once space is freed, without a restart.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import SQLite from 'better-sqlite3';
import { skipUnless } from '../../src/test-support/databases.js';
import { STRONG_PASSWORD, seedUser, startTestApp } from '../../src/test-support/harness.js';
import { HttpClient, realClock, startServerProcess, type ServerProcess } from '../../src/test-support/processes.js';

const canMount = process.getuid?.() === 0 && fs.existsSync('/usr/bin/mount');
const skip = skipUnless(canMount, 'SQLite on a full disk: needs root to mount a small tmpfs');

/** Fills the filesystem of `folder` with one file until it refuses another byte. */
function fill(file: string): void {
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  const fd = fs.openSync(file, 'w');
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    fs.closeSync(fd);
  }
  // The last partial chunks: byte by byte smaller writes, so not even a page is left.
  const small = fs.openSync(file, 'a');
  try {
    for (let size = 32 * 1024; size >= 1; size = Math.floor(size / 2)) {
      try {
        for (;;) fs.writeSync(small, Buffer.alloc(size, 0x5a));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    fs.closeSync(small);
  }
}

describe('SQLite on a full disk', { skip }, () => {
  const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-fulldisk-'));
  const dataDir = path.join(mountPoint, 'data');
  const dbFile = path.join(dataDir, 'gatehouse.db');
  const filler = path.join(mountPoint, 'filler');
  let server: ServerProcess;

  before(async () => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mountPoint]);
    const masterKey = randomBytes(32);
    const seed = await startTestApp({ url: `sqlite:${dbFile}`, masterKey, clock: realClock });
    for (const name of ['reader', 'writer']) await seedUser(seed.s, `${name}@example.com`);
    await seed.close();
    server = await startServerProcess({ GATEHOUSE_DATABASE_URL: `sqlite:${dbFile}`, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') });
  });

  after(async () => {
    await server?.stop();
    try {
      execFileSync('umount', [mountPoint]);
    } catch {
      // not mounted
    }
    fs.rmSync(mountPoint, { recursive: true, force: true });
  });

  it('refuses writes with 503 while full, keeps the file whole, and recovers when space is freed', async () => {
    const reader = new HttpClient(server.baseUrl);
    assert.equal((await reader.post('/api/session', { email: 'reader@example.com', password: STRONG_PASSWORD })).status, 200);

    fill(filler);
    const refused: Array<{ status: number; error: string | null }> = [];
    for (let i = 0; i < 5; i++) {
      const answer = await new HttpClient(server.baseUrl).post('/api/session', { email: 'writer@example.com', password: STRONG_PASSWORD });
      refused.push({ status: answer.status, error: answer.body?.error ?? null });
    }
    const wrong = await new HttpClient(server.baseUrl).post('/api/session', { email: 'writer@example.com', password: 'not-the-password' });
    refused.push({ status: wrong.status, error: wrong.body?.error ?? null });
    assert.deepEqual(
      refused,
      Array.from({ length: 6 }, () => ({ status: 503, error: 'unavailable' })),
      `${JSON.stringify(refused)}\n${server.output().slice(-3000)}`,
    );
    assert.equal((await reader.get('/api/session')).status, 200, 'a session check only reads: it goes on');
    assert.match(server.output(), /database disk is full/, 'the operator is told why');

    fs.rmSync(filler);
    const writer = new HttpClient(server.baseUrl);
    const again = await writer.post('/api/session', { email: 'writer@example.com', password: STRONG_PASSWORD });
    assert.equal(again.status, 200, `works again once space is freed: ${JSON.stringify(again.body)}`);
    assert.equal((await writer.get('/api/session')).status, 200);

    await server.stop();
    const db = new SQLite(dbFile, { readonly: true });
    try {
      assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
      const { failures } = db.prepare("select coalesce(sum(password_failures), 0) as failures from attempt_counters where key like 'u:%'").get() as {
        failures: number;
      };
      assert.equal(failures, 0, 'the wrong password refused with 503 while full was not counted');
    } finally {
      db.close();
    }
  });
});
