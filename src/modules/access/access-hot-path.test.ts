// The forward-auth check reads the access version and the account's groups through the database's
// hot-path reader, with SQL of each dialect's own (access.repository.ts): it must answer exactly
// what the Kysely read answers, for no group, one, several, and after a change.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { seedUser, uniqueEmail } from '../../test-support/harness.js';
import { readVersionAndGroups, readVersionAndGroupsRow } from './access.repository.js';

describeOnEachDialect('the access version and groups on the hot path', (suite) => {
  const t = suite.app();

  it('answers what the Kysely read answers, as memberships and the version change', async () => {
    const user = await seedUser(t.s, uniqueEmail('hot'));
    const both = async () => {
      const hot = await readVersionAndGroupsRow(t.s.database.readRow, t.s.database.dialect, user.id);
      const plain = await readVersionAndGroups(t.s.db, user.id);
      assert.deepEqual({ version: hot.version, groupIds: [...hot.groupIds].sort() }, { version: plain.version, groupIds: [...plain.groupIds].sort() });
      return hot;
    };
    const none = await both();
    assert.deepEqual(none.groupIds, []);
    const ids: string[] = [];
    for (const name of ['hot-a', 'hot-b', 'hot-c']) {
      const group = await t.s.groups.create(name, 'cli', null);
      await t.s.groups.addMember(group.id, user.id, 'cli', null);
      ids.push(group.id);
      const now = await both();
      assert.deepEqual([...now.groupIds].sort(), [...ids].sort());
    }
    const after = await both();
    assert.ok(after.version > none.version, 'each change bumped the version, and the hot read sees it');
    assert.deepEqual((await readVersionAndGroupsRow(t.s.database.readRow, t.s.database.dialect, 'no-such-user')).groupIds, []);
  });
});
