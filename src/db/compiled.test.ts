// Queries built once (compiled.ts) answer exactly what the same Kysely query answers, with each
// call's own values, inside and outside transactions, on both databases; a builder that uses an
// argument as anything but a value is refused. And the session check's reader (database.ts) sees
// every commit at once and never another connection's open transaction.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { DIALECTS, type TestDatabase } from '../test-support/databases.js';
import { compiled } from './compiled.js';
import { type Database, openDatabase } from './database.js';
import { migrateToLatest } from './migrate.js';

for (const dialect of DIALECTS) {
  describe(`compiled queries on ${dialect.name}`, { skip: dialect.skip }, () => {
    let test: TestDatabase;
    let database: Database;
    before(async () => {
      test = await dialect.create();
      database = openDatabase(test.url);
      await migrateToLatest(database.db);
      await database.db
        .insertInto('settings')
        .values([
          { key: 'a', value: 'first', updated_at: 1 },
          { key: 'b', value: 'second', updated_at: 2 },
          { key: 'c', value: 'third', updated_at: 3 },
        ])
        .execute();
    });
    after(async () => {
      await database.close();
      await test.drop();
    });

    const byKeyAfter = compiled((db, key: string, after: number) =>
      db.selectFrom('settings').select(['key', 'value']).where('key', '>=', key).where('updated_at', '>', after).orderBy('key').limit(2),
    );
    const insert = compiled((db, row: { key: string; value: string; updated_at: number }) => db.insertInto('settings').values(row));

    it('answers what the built query answers, with each call its own values', async () => {
      for (const [key, after] of [
        ['a', 0],
        ['b', 0],
        ['a', 2],
        ['z', 0],
      ] as const) {
        const built = await database.db
          .selectFrom('settings')
          .select(['key', 'value'])
          .where('key', '>=', key)
          .where('updated_at', '>', after)
          .orderBy('key')
          .limit(2)
          .execute();
        assert.deepEqual((await byKeyAfter(database.db, key, after)).rows, built, `${key} ${after}`);
      }
      assert.deepEqual((await byKeyAfter(database.db, 'a', 2)).rows, [{ key: 'c', value: 'third' }]);
    });

    it('inserts rows, in a transaction too, and the rollback takes them back', async () => {
      await insert(database.db, { key: 'd', value: 'fourth', updated_at: 4 });
      await database.db
        .transaction()
        .execute(async (trx) => {
          await insert(trx, { key: 'e', value: 'fifth', updated_at: 5 });
          assert.equal((await byKeyAfter(trx, 'e', 0)).rows.length, 1);
          throw new Error('roll back');
        })
        .catch(() => {});
      const keys = (await database.db.selectFrom('settings').select('key').where('key', 'in', ['d', 'e']).execute()).map((r) => r.key);
      assert.deepEqual(keys, ['d']);
    });

    it('refuses a builder that uses an argument as anything but a value, and a row with other columns', async () => {
      const shaped = compiled((db, column: string) => db.selectFrom('settings').select(sql.ref(column).as('x')));
      await assert.rejects(async () => shaped(database.db, 'key'), /argument 0 is not a value/);
      await assert.rejects(async () => insert(database.db, { key: 'f', value: 'sixth' } as never), /other columns/);
    });
  });
}

describe('the session check reader on a SQLite file', () => {
  let test: TestDatabase;
  let database: Database;
  let other: Database;
  before(async () => {
    test = await DIALECTS[0]!.create();
    database = openDatabase(test.url);
    other = openDatabase(test.url);
    await migrateToLatest(database.db);
  });
  after(async () => {
    await other.close();
    await database.close();
    await test.drop();
  });

  it('sees a commit at once, and never an open transaction (of the same database or another process)', async () => {
    const read = async () => {
      const row = await database.readRow('select value from settings where key = ?', ['r']);
      return row === undefined ? undefined : { value: row[0] as string };
    };
    assert.equal(await read(), undefined);
    await database.db.insertInto('settings').values({ key: 'r', value: 'one', updated_at: 1 }).execute();
    assert.equal((await read())?.value, 'one');
    for (const [writer, value] of [
      [database, 'two'],
      [other, 'three'],
    ] as const) {
      await writer.db.transaction().execute(async (trx) => {
        await trx.updateTable('settings').set({ value }).where('key', '=', 'r').execute();
        assert.notEqual((await read())?.value, value, 'uncommitted');
      });
      assert.equal((await read())?.value, value);
    }
  });
});
