// Backups on PostgreSQL are PostgreSQL's own: `gatehouse backup` says to use pg_dump, and a
// pg_dump/pg_restore of a Gatehouse database into a fresh database gives one Gatehouse starts on
// and signs people in with (password and app code). A restored dump from a newer schema is refused
// at start, by name.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { backupDatabase } from '../../src/cli/backup.js';
import { loadConfig } from '../../src/config.js';
import { DIALECTS, REQUIRE_ALL, type TestDatabase } from '../../src/test-support/databases.js';
import { STRONG_PASSWORD, enrolTwoFactor, seedUser, startTestApp } from '../../src/test-support/harness.js';
import { HttpClient, realClock, startServerProcess } from '../../src/test-support/processes.js';
import { phoneCode } from '../../src/test-support/authenticator.js';

const postgres = DIALECTS.find((d) => d.name === 'postgres')!;
const hasTools = spawnSync('pg_dump', ['--version']).status === 0 && spawnSync('pg_restore', ['--version']).status === 0;
const skip = postgres.skip ?? (hasTools || REQUIRE_ALL ? undefined : 'SKIPPED pg_dump/pg_restore: not installed (apt-get install postgresql-client)');

describe('PostgreSQL backups with pg_dump and pg_restore', { skip }, () => {
  let source: TestDatabase;
  let target: TestDatabase;
  const masterKey = randomBytes(32);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-pgdump-'));
  const dump = path.join(dir, 'gatehouse.dump');
  let enrolment: { key: string; backupCodes: string[] };
  before(async () => {
    source = await postgres.create();
    target = await postgres.create();
    const t = await startTestApp({ url: source.url, masterKey, clock: realClock });
    await seedUser(t.s, 'pg-admin@example.com', 'admin');
    const client = t.client();
    await client.signIn('pg-admin@example.com');
    enrolment = await enrolTwoFactor(client, { at: realClock() });
    await t.close();
  });
  after(async () => {
    await source?.drop();
    await target?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gatehouse backup points to pg_dump', async () => {
    const config = loadConfig({ GATEHOUSE_DATABASE_URL: source.url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') });
    await assert.rejects(backupDatabase(config, path.join(dir, 'x.db')), /pg_dump --format=custom .*pg_restore/);
  });

  it('a dump restored into a fresh database serves sign-ins with the app code', async () => {
    const dumped = spawnSync('pg_dump', ['--format=custom', '-f', dump, source.url], { encoding: 'utf8' });
    assert.equal(dumped.status, 0, dumped.stderr);
    const restored = spawnSync('pg_restore', ['--no-owner', '-d', target.url, dump], { encoding: 'utf8' });
    assert.equal(restored.status, 0, restored.stderr);
    const env = { GATEHOUSE_DATABASE_URL: target.url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') };
    const server = await startServerProcess(env);
    try {
      const client = new HttpClient(server.baseUrl);
      assert.equal((await client.post('/api/session', { email: 'pg-admin@example.com', password: STRONG_PASSWORD })).status, 200);
      const second = await client.post('/api/session/second-factor', { code: phoneCode(enrolment.key, realClock() + 30_000) });
      assert.equal(second.status, 200, JSON.stringify(second.body));
      const me = await client.get('/api/me/2fa');
      assert.equal(me.status, 200);
      assert.equal(me.body.backupCodesLeft, 10, 'the backup codes came along');
    } finally {
      assert.equal(await server.stop(), 0);
    }

    // The same dump after a newer version migrated it: this version will not start on it.
    const admin = new pg.Client({ connectionString: target.url });
    await admin.connect();
    await admin.query("insert into kysely_migration (name, timestamp) values ('9999_from_a_newer_version', '2030-01-01T00:00:00Z')");
    await admin.end();
    await assert.rejects(startServerProcess(env), /upgraded by a newer version of Gatehouse.*9999_from_a_newer_version/);
  });
});
