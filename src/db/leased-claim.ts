// The claim both outboxes (mail, back-channel logouts) make: one UPDATE … WHERE unclaimed-or-lease-
// over … RETURNING. SQLite runs it as its single writer; PostgreSQL (READ COMMITTED) re-checks the
// WHERE on the newest row version after waiting for a concurrent claimer, so two instances never
// hold the same row. A crashed holder's lease runs out and the row is claimed again later.
import type { Kysely, Selectable } from 'kysely';
import type { DB } from './schema.js';

/** The tables that are outboxes: each has these columns. */
export type LeasedTableName = 'mail_outbox' | 'oidc_backchannel_logouts';

interface LeasedColumns {
  id: string;
  status: string;
  next_attempt_at: number;
  claimed_by: string | null;
  claimed_until: number | null;
}

/** Claims up to `limit` rows in `dueStatus` whose time has come, for `instance` until `now + leaseMs`. */
export async function claimLeasedRows<T extends LeasedTableName>(
  db: Kysely<DB>,
  table: T,
  dueStatus: string,
  input: { instance: string; now: number; leaseMs: number; limit: number },
): Promise<Selectable<DB[T]>[]> {
  // Both tables have the columns above; Kysely cannot see that through a union of table names.
  const leased = db as unknown as Kysely<{ outbox: LeasedColumns }>;
  const rows = await leased
    .updateTable(table as unknown as 'outbox')
    .set({ claimed_by: input.instance, claimed_until: input.now + input.leaseMs })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom(table as unknown as 'outbox')
        .select('id')
        .where('status', '=', dueStatus)
        .where('next_attempt_at', '<=', input.now)
        .where((w) => w.or([w('claimed_until', 'is', null), w('claimed_until', '<=', input.now)]))
        .orderBy('next_attempt_at')
        .limit(input.limit),
    )
    // Re-checked on the row itself: a row another instance claimed meanwhile is skipped.
    .where('status', '=', dueStatus)
    .where((w) => w.or([w('claimed_until', 'is', null), w('claimed_until', '<=', input.now)]))
    .returningAll()
    .execute();
  return rows as unknown as Selectable<DB[T]>[];
}
