// The forward-auth rules for the "verify with 1,000 rules" figure, written straight into the
// benchmark's database (in one transaction that bumps the access version, as every change does), so
// that the running server reloads them before its next check. The worst case for matching: every
// rule on the host the checks ask for, all of them more specific than the one that matches.
import { randomUUID } from 'node:crypto';
import { openDatabase } from '../../src/db/database.js';

export const BENCH_APP_HOST = 'app.bench.example';

/** Replaces the benchmark application's rules with `count` of them (0: no application at all). */
export async function setBenchRules(url: string, count: number): Promise<void> {
  const database = openDatabase(url);
  const now = Date.now();
  await database.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('access_applications').where('host', '=', BENCH_APP_HOST).execute();
    await trx.deleteFrom('groups').where('name', 'like', 'bench-%').execute();
    if (count > 0) {
      const applicationId = randomUUID();
      await trx.insertInto('access_applications').values({ id: applicationId, name: 'Bench', host: BENCH_APP_HOST, created_at: now }).execute();
      const groups = Array.from({ length: 10 }, (_, i) => ({ id: randomUUID(), name: `bench-${i}`, created_at: now }));
      await trx.insertInto('groups').values(groups).execute();
      // count - 1 rules on paths the checks never ask for, each naming a group; then `/` for anyone.
      const rules = Array.from({ length: count }, (_, i) => ({
        id: randomUUID(),
        application_id: applicationId,
        path: i === count - 1 ? '/' : `/section-${String(i).padStart(4, '0')}`,
        effect: 'allow' as const,
        anyone: i === count - 1 ? 1 : 0,
        factors: 'password' as const,
        created_at: now + i,
      }));
      for (let i = 0; i < rules.length; i += 200)
        await trx
          .insertInto('access_rules')
          .values(rules.slice(i, i + 200))
          .execute();
      const subjects = rules.slice(0, -1).map((rule, i) => ({ rule_id: rule.id, group_id: groups[i % groups.length]!.id, user_id: null }));
      for (let i = 0; i < subjects.length; i += 300)
        await trx
          .insertInto('access_rule_subjects')
          .values(subjects.slice(i, i + 300))
          .execute();
    }
    await trx
      .updateTable('access_state')
      .set((eb) => ({ version: eb('version', '+', 1) }))
      .where('id', '=', 1)
      .execute();
  });
  await database.close();
}
