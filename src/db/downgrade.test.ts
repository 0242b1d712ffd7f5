// An older Gatehouse started on a database a newer one migrated refuses to start, with a message
// that names the migration it does not know and what to do, and changes nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describeCliError } from '../cli/main.js';
import { DIALECTS, type TestDatabase } from '../test-support/databases.js';
import { startTestApp } from '../test-support/harness.js';
import { openDatabase } from './database.js';
import { SCHEMA_VERSION, SchemaTooNewError, appliedMigrations, migrateToLatest } from './migrate.js';

for (const dialect of DIALECTS) {
  describe(`a database from a newer version on ${dialect.name}`, { skip: dialect.skip }, () => {
    let database: TestDatabase;
    before(async () => {
      database = await dialect.create();
    });
    after(async () => database?.drop());

    it('makes this version refuse to start, naming the unknown migration, and leaves the schema alone', async () => {
      const masterKey = randomBytes(32);
      const first = await startTestApp({ url: database.url, masterKey });
      await first.close();
      const { db, close } = openDatabase(database.url);
      try {
        await db
          .insertInto('kysely_migration' as never)
          .values({ name: '9999_from_a_newer_version', timestamp: new Date(0).toISOString() } as never)
          .execute();
        const error = await migrateToLatest(db).then(
          () => null,
          (e: unknown) => e,
        );
        assert.ok(error instanceof SchemaTooNewError, `refused with SchemaTooNewError (got ${String(error)})`);
        assert.match(error.message, /upgraded by a newer version of Gatehouse.*9999_from_a_newer_version/);
        assert.ok(error.message.includes(SCHEMA_VERSION), 'names the newest migration this version knows');
        assert.match(describeCliError(error), /^the database was upgraded by a newer version/, 'the CLI prints it as is');
        assert.equal((await appliedMigrations(db)).at(-1), '9999_from_a_newer_version', 'nothing was changed');
      } finally {
        await close();
      }
      await assert.rejects(startTestApp({ url: database.url, masterKey }), SchemaTooNewError);
    });
  });
}
