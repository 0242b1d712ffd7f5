// SQL for attempt counters: one row per account (or per unknown email), each statement atomic.
// Why these statements make the limits exact is explained in attempt-limiter.ts.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';

export type AttemptKind = 'password' | 'code';

const COLUMNS = {
  password: { failures: 'password_failures', inFlight: 'password_in_flight', otherInFlight: 'code_in_flight' },
  code: { failures: 'code_failures', inFlight: 'code_in_flight', otherInFlight: 'password_in_flight' },
} as const;

export async function ensureCounter(db: Kysely<DB>, key: string): Promise<void> {
  await db
    .insertInto('attempt_counters')
    .values({ key, password_failures: 0, code_failures: 0, password_in_flight: 0, code_in_flight: 0, reserved_at: 0, locked_until: null })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
}

/**
 * Takes an attempt slot when the account is not locked and failures + live reservations stay below
 * `limit`; reservations older than `staleBefore` count as dead. Answers whether the slot was taken.
 */
export async function takeSlot(db: Kysely<DB>, input: { key: string; kind: AttemptKind; limit: number; now: number; staleBefore: number }): Promise<boolean> {
  const c = COLUMNS[input.kind];
  const liveInFlight = (column: string) => sql`(CASE WHEN reserved_at < ${input.staleBefore} THEN 0 ELSE ${sql.ref(column)} END)`;
  const taken = await sql<{ key: string }>`
    UPDATE attempt_counters
    SET ${sql.ref(c.inFlight)} = ${liveInFlight(c.inFlight)} + 1,
        ${sql.ref(c.otherInFlight)} = ${liveInFlight(c.otherInFlight)},
        reserved_at = ${input.now}
    WHERE key = ${input.key}
      AND (locked_until IS NULL OR locked_until <= ${input.now})
      AND ${sql.ref(c.failures)} + ${liveInFlight(c.inFlight)} < ${input.limit}
    RETURNING key`.execute(db);
  return taken.rows.length === 1;
}

function decrement(kind: AttemptKind) {
  const column = sql.ref(COLUMNS[kind].inFlight);
  return sql`CASE WHEN ${column} > 0 THEN ${column} - 1 ELSE 0 END`;
}

/**
 * Gives a slot back counting a failure; the failure that reaches `limit` sets the lock until
 * `lockUntil` (and starts the count again). A failure finishing while already locked does not count twice.
 * Answers the lock now in force, if any.
 */
export async function recordFailure(db: Kysely<DB>, input: { key: string; kind: AttemptKind; limit: number; now: number; lockUntil: number }): Promise<number | null> {
  const { key, kind, limit, now, lockUntil } = input;
  const failures = sql.ref(COLUMNS[kind].failures);
  const reaches = sql`(${failures} + 1 >= ${limit} AND (locked_until IS NULL OR locked_until <= ${now}))`;
  const result = await sql<{ locked_until: number | string | null }>`
    UPDATE attempt_counters
    SET ${sql.ref(COLUMNS[kind].inFlight)} = ${decrement(kind)},
        password_failures = CASE WHEN ${reaches} THEN 0 WHEN locked_until > ${now} THEN password_failures
                            ELSE password_failures + ${kind === 'password' ? 1 : 0} END,
        code_failures = CASE WHEN ${reaches} THEN 0 WHEN locked_until > ${now} THEN code_failures
                        ELSE code_failures + ${kind === 'code' ? 1 : 0} END,
        locked_until = CASE WHEN ${reaches} THEN ${lockUntil} ELSE locked_until END
    WHERE key = ${key}
    RETURNING locked_until`.execute(db);
  const locked = result.rows[0]?.locked_until;
  return locked == null ? null : Number(locked);
}

/** Gives a slot back after a success: the consecutive failures of that factor start again from zero. */
export async function recordSuccess(db: Kysely<DB>, key: string, kind: AttemptKind): Promise<void> {
  await sql`UPDATE attempt_counters SET ${sql.ref(COLUMNS[kind].inFlight)} = ${decrement(kind)}, ${sql.ref(COLUMNS[kind].failures)} = 0 WHERE key = ${key}`.execute(db);
}

/** Gives a slot back without counting (the check did not happen). */
export async function releaseSlot(db: Kysely<DB>, key: string, kind: AttemptKind): Promise<void> {
  await sql`UPDATE attempt_counters SET ${sql.ref(COLUMNS[kind].inFlight)} = ${decrement(kind)} WHERE key = ${key}`.execute(db);
}

export async function readLocks(db: Kysely<DB>, keys: string[], now: number): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  if (keys.length === 0) return result;
  const rows = await db.selectFrom('attempt_counters').select(['key', 'locked_until']).where('key', 'in', keys).where('locked_until', '>', now).execute();
  for (const row of rows) if (row.locked_until !== null) result.set(row.key, Number(row.locked_until));
  return result;
}

export async function clearCounter(db: Kysely<DB>, key: string): Promise<void> {
  await db.updateTable('attempt_counters').set({ password_failures: 0, code_failures: 0, locked_until: null }).where('key', '=', key).execute();
}

/** Drops rows that hold nothing (no failures, no lock, no reservation since `staleBefore`). */
export async function pruneCounters(db: Kysely<DB>, now: number, staleBefore: number): Promise<void> {
  await db
    .deleteFrom('attempt_counters')
    .where('password_failures', '=', 0)
    .where('code_failures', '=', 0)
    .where('reserved_at', '<', staleBefore)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .execute();
}
