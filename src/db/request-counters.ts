// Requests counted per key in a fixed window (mail_request_counters): how often one email (or one
// account) may be sent a reset link, a registration link or an email-change link. Every feature's
// key has its own prefix (reset:, register:, email-change:).
import type { Kysely } from 'kysely';
import type { DB } from './schema.js';

/**
 * Counts one request under `key` in a fixed window of `windowMs` and answers the count so far,
 * this one included. One statement: concurrent requests each get their own number.
 */
export async function countRequest(db: Kysely<DB>, key: string, now: number, windowMs: number): Promise<number> {
  const row = await db
    .insertInto('mail_request_counters')
    .values({ key, window_start: now, count: 1 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet((eb) => ({
        // A window that has run out starts again at 1.
        count: eb
          .case()
          .when('mail_request_counters.window_start', '<=', now - windowMs)
          .then(1)
          .else(eb('mail_request_counters.count', '+', 1))
          .end(),
        window_start: eb
          .case()
          .when('mail_request_counters.window_start', '<=', now - windowMs)
          .then(now)
          .else(eb.ref('mail_request_counters.window_start'))
          .end(),
      })),
    )
    .returning('count')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function pruneRequestCounters(db: Kysely<DB>, before: number): Promise<void> {
  await db.deleteFrom('mail_request_counters').where('window_start', '<', before).execute();
}
