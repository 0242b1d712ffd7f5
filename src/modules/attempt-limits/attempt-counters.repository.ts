// SQL for attempt counters: one row per account, per trusted device or per unknown email, each
// statement atomic. Why these statements make the limits exact is explained in attempt-limiter.ts.
import { sql, type Kysely } from 'kysely';
import { compiled } from '../../db/compiled.js';
import type { DB } from '../../db/schema.js';
import { HARD_STOP_FAILURES } from './lockout.js';

export type AttemptKind = 'password' | 'code';

const COLUMNS = {
  password: { failures: 'password_failures', inFlight: 'password_in_flight', otherInFlight: 'code_in_flight' },
  code: { failures: 'code_failures', inFlight: 'code_in_flight', otherInFlight: 'password_in_flight' },
} as const;

/** A lock in force: until a time, or (after HARD_STOP_FAILURES) until an administrator unlocks. */
export interface LockState {
  until: number | null;
  permanent: boolean;
}

// The statements every attempt runs, built once (db/compiled.ts).
const insertCounter = compiled((db, key: string) =>
  db
    .insertInto('attempt_counters')
    .values({ key, password_failures: 0, code_failures: 0, password_in_flight: 0, code_in_flight: 0, reserved_at: 0, locked_until: null, refused: 0 })
    .onConflict((oc) => oc.column('key').doNothing()),
);
const selectFailures = {
  password: compiled((db, key: string) => db.selectFrom('attempt_counters').select('password_failures as failures').where('key', '=', key)),
  code: compiled((db, key: string) => db.selectFrom('attempt_counters').select('code_failures as failures').where('key', '=', key)),
};
const selectRefused = compiled((db, key: string) => db.selectFrom('attempt_counters').select('refused').where('key', '=', key));

export async function ensureCounter(db: Kysely<DB>, key: string): Promise<void> {
  await insertCounter(db, key);
}

/**
 * Takes an attempt slot when the counter is not locked, neither factor has reached the hard stop,
 * and this factor's failures in the current round (failures mod `limit`) plus live reservations stay
 * below `limit` (and its whole run below the hard stop). Reservations older than `staleBefore`
 * count as dead. Answers whether the slot was taken.
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
      AND password_failures < ${HARD_STOP_FAILURES} AND code_failures < ${HARD_STOP_FAILURES}
      AND (${sql.ref(c.failures)} % ${input.limit}) + ${liveInFlight(c.inFlight)} < ${input.limit}
      AND ${sql.ref(c.failures)} + ${liveInFlight(c.inFlight)} < ${HARD_STOP_FAILURES}
    RETURNING key`.execute(db);
  return taken.rows.length === 1;
}

function decrement(kind: AttemptKind) {
  const column = sql.ref(COLUMNS[kind].inFlight);
  return sql`CASE WHEN ${column} > 0 THEN ${column} - 1 ELSE 0 END`;
}

export async function readFailures(db: Kysely<DB>, key: string, kind: AttemptKind): Promise<number> {
  const row = (await selectFailures[kind](db, key)).rows[0];
  return row ? Number(row.failures) : 0;
}

/**
 * Gives a slot back counting a failure, when the run still stands at `expected` failures (a
 * compare-and-set: the caller computed the lock for `expected + 1`). `lockUntil` extends the lock
 * (never shortens one in force). Answers false when another failure got there first: read again.
 */
export async function recordFailure(db: Kysely<DB>, input: { key: string; kind: AttemptKind; expected: number; lockUntil: number | null }): Promise<boolean> {
  const { key, kind, expected, lockUntil } = input;
  const failures = sql.ref(COLUMNS[kind].failures);
  const lock =
    lockUntil === null ? sql`locked_until` : sql`CASE WHEN locked_until IS NULL OR locked_until < ${lockUntil} THEN ${lockUntil} ELSE locked_until END`;
  const result = await sql<{ key: string }>`
    UPDATE attempt_counters
    SET ${sql.ref(COLUMNS[kind].inFlight)} = ${decrement(kind)}, ${failures} = ${failures} + 1, locked_until = ${lock}
    WHERE key = ${key} AND ${failures} = ${expected}
    RETURNING key`.execute(db);
  return result.rows.length === 1;
}

/** Gives a slot back after a success: the factor's run of failures ends. */
export async function recordSuccess(db: Kysely<DB>, key: string, kind: AttemptKind): Promise<void> {
  await sql`UPDATE attempt_counters SET ${sql.ref(COLUMNS[kind].inFlight)} = ${decrement(kind)}, ${sql.ref(COLUMNS[kind].failures)} = 0 WHERE key = ${key}`.execute(
    db,
  );
}

/** Gives a slot back without counting (the check did not happen). */
export async function releaseSlot(db: Kysely<DB>, key: string, kind: AttemptKind): Promise<void> {
  await sql`UPDATE attempt_counters SET ${sql.ref(COLUMNS[kind].inFlight)} = ${decrement(kind)} WHERE key = ${key}`.execute(db);
}

/** Counts one attempt refused while locked. */
export async function countRefusal(db: Kysely<DB>, key: string): Promise<void> {
  await sql`UPDATE attempt_counters SET refused = refused + 1 WHERE key = ${key}`.execute(db);
}

/**
 * Takes the refusals not yet reported: a compare-and-set, so each refusal is reported exactly once
 * whichever instance reports. Answers how many (0: none, or another caller took them).
 */
export async function takeRefusals(db: Kysely<DB>, key: string): Promise<number> {
  const row = (await selectRefused(db, key)).rows[0];
  const refused = Number(row?.refused ?? 0);
  if (refused <= 0) return 0;
  const result = await db
    .updateTable('attempt_counters')
    .set({ refused: sql`refused - ${refused}` })
    .where('key', '=', key)
    .where('refused', '=', refused)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1 ? refused : 0;
}

export async function readLocks(db: Kysely<DB>, keys: string[], now: number): Promise<Map<string, LockState>> {
  const result = new Map<string, LockState>();
  if (keys.length === 0) return result;
  const rows = await db
    .selectFrom('attempt_counters')
    .select(['key', 'locked_until', 'password_failures', 'code_failures'])
    .where('key', 'in', keys)
    .where((eb) => eb.or([eb('locked_until', '>', now), eb('password_failures', '>=', HARD_STOP_FAILURES), eb('code_failures', '>=', HARD_STOP_FAILURES)]))
    .execute();
  for (const row of rows) {
    const permanent = Number(row.password_failures) >= HARD_STOP_FAILURES || Number(row.code_failures) >= HARD_STOP_FAILURES;
    const until = row.locked_until !== null && Number(row.locked_until) > now ? Number(row.locked_until) : null;
    result.set(row.key, { until, permanent });
  }
  return result;
}

/** Forgets the failures and the lock of `key` and of every key under it (`key/…`: its devices). */
export async function clearCounter(db: Kysely<DB>, key: string): Promise<void> {
  await db
    .updateTable('attempt_counters')
    .set({ password_failures: 0, code_failures: 0, locked_until: null, refused: 0 })
    .where((eb) => eb.or([eb('key', '=', key), eb('key', 'like', `${key}/%`)]))
    .execute();
}

/** Deletes the counter `key` and every counter under it: an account that is deleted (its id never comes back). */
export async function deleteCounters(db: Kysely<DB>, key: string): Promise<void> {
  await db
    .deleteFrom('attempt_counters')
    .where((eb) => eb.or([eb('key', '=', key), eb('key', 'like', `${key}/%`)]))
    .execute();
}

/** Drops rows that hold nothing (no failures, no lock, no refusals, no reservation since `staleBefore`). */
export async function pruneCounters(db: Kysely<DB>, now: number, staleBefore: number): Promise<void> {
  await db
    .deleteFrom('attempt_counters')
    .where('password_failures', '=', 0)
    .where('code_failures', '=', 0)
    .where('refused', '=', 0)
    .where('reserved_at', '<', staleBefore)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .execute();
}
