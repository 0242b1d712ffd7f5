// Back-channel logouts (OIDC Back-Channel Logout 1.0) as rows: one per Gatehouse session,
// application and sid, written when the application gets a code through that session. The rows
// are the outbox: a sweep turns those whose session is gone (signed out, ended by its owner or an
// administrator, blocked, reset, expired: every way, as it only asks whether the session still
// exists) into due ones, in one UPDATE that any number of instances may run at once. Sending is
// claimed with a lease, as the mail outbox is (mail.repository.ts): one UPDATE … WHERE unclaimed …
// RETURNING, which SQLite runs as its single writer and PostgreSQL re-checks on the newest row
// version, so two instances never hold the same row; the row is deleted once the application
// answered 200.
import type { Kysely, Selectable } from 'kysely';
import { claimLeasedRows } from '../../db/leased-claim.js';
import type { DB, OidcBackchannelLogoutsTable } from '../../db/schema.js';

export type BackchannelRow = Selectable<OidcBackchannelLogoutsTable>;

/** Remembers that `sessionHash` got a code for `clientId` under `sid` (once: a second code adds nothing). */
export async function linkSession(
  db: Kysely<DB>,
  row: { id: string; sessionHash: string; clientId: string; accountId: string; sid: string; now: number },
): Promise<void> {
  await db
    .insertInto('oidc_backchannel_logouts')
    .values({
      id: row.id,
      session_hash: row.sessionHash,
      client_id: row.clientId,
      account_id: row.accountId,
      sid: row.sid,
      status: 'waiting',
      attempts: 0,
      next_attempt_at: null,
      claimed_by: null,
      claimed_until: null,
      last_error: null,
      created_at: row.now,
    })
    .onConflict((oc) => oc.columns(['session_hash', 'client_id', 'sid']).doNothing())
    .execute();
}

/** A session replaced by another for the same person (a second step inside an authorization): its applications follow it. */
export async function moveLinks(db: Kysely<DB>, fromHash: string, toHash: string): Promise<void> {
  await db.updateTable('oidc_backchannel_logouts').set({ session_hash: toHash }).where('session_hash', '=', fromHash).where('status', '=', 'waiting').execute();
}

/**
 * Every waiting row whose session no longer lives (gone, past its expiry, or idle longer than
 * `idleMs`: session-policy.ts's isSessionAlive) becomes due now. Idempotent: instances may race.
 */
export async function markEndedSessionsDue(db: Kysely<DB>, now: number, idleMs: number): Promise<number> {
  const result = await db
    .updateTable('oidc_backchannel_logouts')
    .set({ status: 'due', next_attempt_at: now })
    .where('status', '=', 'waiting')
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('sessions')
            .select('sessions.token_hash')
            .whereRef('sessions.token_hash', '=', 'oidc_backchannel_logouts.session_hash')
            .where('sessions.expires_at', '>', now)
            .where('sessions.last_seen_at', '>', now - idleMs),
        ),
      ),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Claims up to `limit` due rows for `instance` until `now + leaseMs`. */
export function claimDueLogouts(db: Kysely<DB>, input: { instance: string; now: number; leaseMs: number; limit: number }): Promise<BackchannelRow[]> {
  return claimLeasedRows(db, 'oidc_backchannel_logouts', 'due', input);
}

/** The application answered: the row's work is done. Only the lease holder removes it. */
export async function deleteDelivered(db: Kysely<DB>, id: string, instance: string): Promise<void> {
  await db.deleteFrom('oidc_backchannel_logouts').where('id', '=', id).where('claimed_by', '=', instance).execute();
}

/** A failed attempt: retried at `nextAttemptAt`, or given up (null). */
export async function markLogoutFailed(db: Kysely<DB>, input: { id: string; instance: string; error: string; nextAttemptAt: number | null }): Promise<void> {
  await db
    .updateTable('oidc_backchannel_logouts')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      last_error: input.error.slice(0, 500),
      claimed_by: null,
      claimed_until: null,
      ...(input.nextAttemptAt === null ? { status: 'failed' as const } : { next_attempt_at: input.nextAttemptAt }),
    }))
    .where('id', '=', input.id)
    .where('claimed_by', '=', input.instance)
    .execute();
}

/** Housekeeping: given-up rows after a while, and rows of sessions gone long ago that a deleted application left. */
export async function deleteFailedLogouts(db: Kysely<DB>, before: number): Promise<void> {
  await db.deleteFrom('oidc_backchannel_logouts').where('status', '=', 'failed').where('created_at', '<', before).execute();
}
