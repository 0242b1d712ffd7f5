// SQL for the mail outbox. A message is inserted in the transaction of the change that causes it
// (functions take `db` or `trx` first), then claimed by one instance at a time with a lease: the
// claim is one UPDATE … WHERE unclaimed-or-lease-over … RETURNING, which SQLite runs as its single
// writer and PostgreSQL re-checks on the newest row version after waiting for a concurrent claimer
// (READ COMMITTED), so two instances never hold the same message. A crashed sender's lease runs out
// and the message is sent later; it is marked sent right after the SMTP server accepts it.
import type { Kysely, Selectable } from 'kysely';
import { claimLeasedRows } from '../../db/leased-claim.js';
import type { DB, MailOutboxTable } from '../../db/schema.js';

export type OutboxRow = Selectable<MailOutboxTable>;

export async function insertOutboxMessage(trx: Kysely<DB>, row: { id: string; kind: string; recipient: string; body: string; now: number }): Promise<void> {
  await trx
    .insertInto('mail_outbox')
    .values({
      id: row.id,
      kind: row.kind,
      recipient: row.recipient,
      body: row.body,
      status: 'queued',
      attempts: 0,
      next_attempt_at: row.now,
      claimed_by: null,
      claimed_until: null,
      last_error: null,
      created_at: row.now,
      sent_at: null,
    })
    .execute();
}

/** Claims up to `limit` due messages for `instance` until `now + leaseMs`. */
export function claimDueMessages(db: Kysely<DB>, input: { instance: string; now: number; leaseMs: number; limit: number }): Promise<OutboxRow[]> {
  return claimLeasedRows(db, 'mail_outbox', 'queued', input);
}

/** After the SMTP server accepted it: sent, and its content dropped. Only the lease holder marks it. */
export async function markSent(db: Kysely<DB>, id: string, instance: string, now: number): Promise<void> {
  await db
    .updateTable('mail_outbox')
    .set({ status: 'sent', sent_at: now, body: '', claimed_by: null, claimed_until: null, last_error: null })
    .where('id', '=', id)
    .where('claimed_by', '=', instance)
    .execute();
}

/** A failed attempt: try again at `nextAttemptAt`, or give up (status 'failed') when it is null. */
export async function markAttemptFailed(db: Kysely<DB>, input: { id: string; instance: string; error: string; nextAttemptAt: number | null }): Promise<void> {
  await db
    .updateTable('mail_outbox')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      status: input.nextAttemptAt === null ? 'failed' : 'queued',
      next_attempt_at: input.nextAttemptAt ?? eb.ref('next_attempt_at'),
      last_error: input.error.slice(0, 500),
      claimed_by: null,
      claimed_until: null,
    }))
    .where('id', '=', input.id)
    .where('claimed_by', '=', input.instance)
    .execute();
}

export async function countOutboxByStatus(db: Kysely<DB>): Promise<Record<OutboxRow['status'], number>> {
  const rows = await db
    .selectFrom('mail_outbox')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  const counts = { queued: 0, sent: 0, failed: 0 };
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}

/** Sent messages (content already dropped) older than `before` are removed by housekeeping. */
export async function pruneSentMessages(db: Kysely<DB>, before: number): Promise<void> {
  await db.deleteFrom('mail_outbox').where('status', '=', 'sent').where('sent_at', '<', before).execute();
}
