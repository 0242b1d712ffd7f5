// Migration 0018 chooses the default for hosts no application names once: `deny` for a new
// install, `allow` for a database that already had accounts (forward auth let every signed-in
// person through before rules existed, and an upgrade must not lock a household out of its apps).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../../test-support/databases.js';
import { openDatabase } from '../database.js';
import { migrateTo, migrateToLatest } from '../migrate.js';

for (const dialect of DIALECTS) {
  describe(`migration 0018 (access) on ${dialect.name}`, { skip: dialect.skip }, () => {
    it('a new install refuses hosts no application names; an upgraded one with accounts lets them through', async () => {
      for (const [withAccount, expected] of [
        [false, 'deny'],
        [true, 'allow'],
      ] as const) {
        const database = await dialect.create();
        const { db, close } = openDatabase(database.url);
        try {
          await migrateTo(db, '0017_step_up_factor');
          if (withAccount) {
            await db
              .insertInto('users')
              .values({
                id: 'u1',
                email: 'owner@example.com',
                role: 'admin',
                password_hash: 'x',
                blocked: 0,
                created_at: 1,
                last_sign_in_at: null,
                password_changed_at: 1,
                two_factor_required_since: null,
                locale: 'en',
              })
              .execute();
          }
          await migrateToLatest(db);
          const state = await db.selectFrom('access_state').selectAll().executeTakeFirstOrThrow();
          assert.equal(state.install_default, expected);
          assert.equal(Number(state.version), 1);
        } finally {
          await close();
          await database.drop();
        }
      }
    });
  });
}
