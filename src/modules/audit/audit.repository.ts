// The audit log: who did what to which account, when, from where. Append-only apart from
// retention pruning. Ids sort by time (a millisecond prefix), so paging is (at, id) descending.
import { randomBytes } from 'node:crypto';
import type { Insertable, Kysely } from 'kysely';
import { compiled } from '../../db/compiled.js';
import type { AuditEventsTable, DB } from '../../db/schema.js';
import { pageByTime, type PageRequest } from '../../db/paging.js';
import type { AuditPage } from '../../shared/api-types.js';

export interface AccountRef {
  id: string;
  email: string;
}

/** Who acted: an account, the command line (`gatehouse …` on the server), or nobody known (null). */
export type Actor = AccountRef | 'cli' | null;

export interface AuditEventInput {
  kind: string;
  actor?: Actor;
  subject?: AccountRef | null;
  address?: string | null;
  details?: Record<string, unknown>;
}

/** Appends one event to the audit log (wired once with the database and the clock). */
export type RecordAudit = (event: AuditEventInput) => Promise<void>;

function newEventId(now: number): string {
  return `${now.toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
}

// Every sign-in writes one event: built once (db/compiled.ts).
const insertEvent = compiled((db, row: Insertable<AuditEventsTable>) => db.insertInto('audit_events').values(row));

export async function insertAuditEvent(db: Kysely<DB>, event: AuditEventInput, now: number): Promise<void> {
  await insertEvent(db, {
    id: newEventId(now),
    at: now,
    kind: event.kind,
    actor_id: event.actor && event.actor !== 'cli' ? event.actor.id : null,
    actor_email: event.actor && event.actor !== 'cli' ? event.actor.email : null,
    actor_kind: event.actor === 'cli' ? 'cli' : null,
    subject_id: event.subject?.id ?? null,
    subject_email: event.subject?.email ?? null,
    address: event.address ?? null,
    details: JSON.stringify(event.details ?? {}),
  });
}

export interface AuditQuery extends PageRequest {
  kind?: string;
  /** An account id or email: events where it is the actor or the subject. */
  account?: string;
  /** Only events whose subject is this account id (a user's own security events). */
  subjectId?: string;
  /** Epoch ms, inclusive: events at or after `from`, before `to`. */
  from?: number;
  to?: number;
}

export async function listAuditEvents(db: Kysely<DB>, query: AuditQuery): Promise<AuditPage> {
  let q = db.selectFrom('audit_events').selectAll();
  if (query.kind) q = q.where('kind', '=', query.kind);
  if (query.account) {
    const account = query.account.trim().toLowerCase();
    q = q.where((eb) =>
      eb.or([eb('subject_id', '=', account), eb('subject_email', '=', account), eb('actor_id', '=', account), eb('actor_email', '=', account)]),
    );
  }
  if (query.subjectId) q = q.where('subject_id', '=', query.subjectId);
  if (query.from !== undefined) q = q.where('at', '>=', query.from);
  if (query.to !== undefined) q = q.where('at', '<', query.to);
  const { rows, nextCursor } = await pageByTime(q, { time: 'at', id: 'id', direction: 'desc' }, query);
  return {
    events: rows.map((row) => ({
      id: row.id,
      at: new Date(Number(row.at)).toISOString(),
      kind: row.kind,
      actor: row.actor_id ? { id: row.actor_id, email: row.actor_email ?? '' } : null,
      actorKind: row.actor_id ? ('account' as const) : row.actor_kind === 'cli' ? ('cli' as const) : null,
      subject: row.subject_id ? { id: row.subject_id, email: row.subject_email ?? '' } : null,
      address: row.address,
      details: JSON.parse(row.details) as Record<string, unknown>,
    })),
    nextCursor,
  };
}

export async function pruneAuditEvents(db: Kysely<DB>, olderThan: number): Promise<number> {
  const result = await db.deleteFrom('audit_events').where('at', '<', olderThan).executeTakeFirst();
  return Number(result.numDeletedRows);
}

// Every successful sign-in reads it: built once (db/compiled.ts).
const selectFailuresSince = compiled((db, userId: string, since: number) =>
  db
    .selectFrom('audit_events')
    .select(['kind', 'at', 'address'])
    .where('subject_id', '=', userId)
    .where('at', '>', since)
    .where((eb) => eb.or([eb('kind', '=', 'account.locked'), eb.and([eb('kind', '=', 'sign_in.failed'), eb('details', 'like', '%"step":"code"%')])]))
    .orderBy('at', 'desc')
    // 100 consecutive failures stop a counter, so a few hundred rows cover any real case.
    .limit(1000),
);

/**
 * Failed second steps and locks of an account since `since`: what its owner is told at sign-in.
 * (`details` is written by JSON.stringify above, so the step reads back as `"step":"code"`.)
 */
export async function failuresSince(
  db: Kysely<DB>,
  userId: string,
  since: number,
): Promise<{ failedCodeAttempts: number; locks: number; last: { at: number; address: string | null } | null }> {
  const rows = (await selectFailuresSince(db, userId, since)).rows;
  const first = rows[0];
  return {
    failedCodeAttempts: rows.filter((r) => r.kind === 'sign_in.failed').length,
    locks: rows.filter((r) => r.kind === 'account.locked').length,
    last: first ? { at: Number(first.at), address: first.address } : null,
  };
}
