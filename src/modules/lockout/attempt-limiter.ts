// Consecutive-failure limits per account, exact across instances.
//
// Why it is exact: before checking a password or code, a caller reserves an attempt slot with
// one atomic UPDATE whose WHERE clause admits it only while
//     failures + attempts in flight < limit   and the account is not locked.
// SQLite runs one writer at a time and PostgreSQL re-checks the WHERE clause on the locked,
// newest row version (READ COMMITTED), so no two callers can take the same slot. At most
// `limit - failures` checks are therefore ever in flight; if all of them fail, the last one to
// finish sets the lock, and every caller still waiting then sees the lock and answers 429.
// Callers that find the slots taken but no lock wait and try again (they are "after" the ones
// in flight), so right answers arriving together all succeed: nothing is refused early.
// Hashing happens between reservation and report, outside any transaction or connection.
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError, lockedError } from '../../http/errors.js';
import type { SettingsService } from '../settings/settings.service.js';

export type AttemptKind = 'password' | 'code';

/** A reservation whose process died is forgotten after this long (no slot stays taken forever). */
const STALE_RESERVATION_MS = 60_000;
/** How long a caller waits for a free slot before giving up with 503. */
const MAX_WAIT_MS = 15_000;

export interface AttemptSlot {
  /** The check failed: count it, and lock the account if that reaches the limit. Answers whether it locked now. */
  failed(): Promise<{ lockedNow: boolean; lockedUntil: number | null }>;
  /** The check passed: the consecutive-failure count starts again from zero. */
  succeeded(): Promise<void>;
  /** The check did not happen (an error): give the slot back without counting. */
  release(): Promise<void>;
}

const COLUMNS = {
  password: { failures: 'password_failures', inFlight: 'password_in_flight', otherInFlight: 'code_in_flight' },
  code: { failures: 'code_failures', inFlight: 'code_in_flight', otherInFlight: 'password_in_flight' },
} as const;

export class AttemptLimiter {
  private readonly released = new EventEmitter().setMaxListeners(0);

  constructor(
    private readonly db: Kysely<DB>,
    private readonly settings: SettingsService,
    private readonly clock: () => number = Date.now,
  ) {}

  private async limitFor(kind: AttemptKind): Promise<{ limit: number; lockoutMs: number }> {
    const s = await this.settings.get();
    return { limit: kind === 'password' ? s.passwordAttempts : s.codeAttempts, lockoutMs: s.lockoutSeconds * 1000 };
  }

  /** Waits for a free slot; throws 429 `locked` while the account is locked. */
  async reserve(key: string, kind: AttemptKind): Promise<AttemptSlot> {
    await this.db
      .insertInto('attempt_counters')
      .values({ key, password_failures: 0, code_failures: 0, password_in_flight: 0, code_in_flight: 0, reserved_at: 0, locked_until: null })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const c = COLUMNS[kind];
    const deadline = this.clock() + MAX_WAIT_MS;
    for (;;) {
      const now = this.clock();
      const { limit } = await this.limitFor(kind);
      const stale = now - STALE_RESERVATION_MS;
      const liveInFlight = (column: string) => sql`(CASE WHEN reserved_at < ${stale} THEN 0 ELSE ${sql.ref(column)} END)`;
      const taken = await sql<{ key: string }>`
        UPDATE attempt_counters
        SET ${sql.ref(c.inFlight)} = ${liveInFlight(c.inFlight)} + 1,
            ${sql.ref(c.otherInFlight)} = ${liveInFlight(c.otherInFlight)},
            reserved_at = ${now}
        WHERE key = ${key}
          AND (locked_until IS NULL OR locked_until <= ${now})
          AND ${sql.ref(c.failures)} + ${liveInFlight(c.inFlight)} < ${limit}
        RETURNING key`.execute(this.db);
      if (taken.rows.length === 1) return this.slot(key, kind);

      const row = await this.db.selectFrom('attempt_counters').select('locked_until').where('key', '=', key).executeTakeFirst();
      // A fresh clock: the lock may have been set (by another instance) after `now` was read.
      const checkedAt = this.clock();
      if (row?.locked_until != null && row.locked_until > checkedAt) throw lockedError((row.locked_until - checkedAt) / 1000);
      if (now > deadline) throw new AppError('unavailable', 'Too many attempts at once on this account. Try again.');
      await this.waitForRelease(key);
    }
  }

  private async waitForRelease(key: string): Promise<void> {
    // Another instance's release is seen by polling; this instance's wakes us at once.
    const controller = new AbortController();
    const wake = () => controller.abort();
    this.released.once(key, wake);
    try {
      await sleep(10 + Math.random() * 20, undefined, { signal: controller.signal });
    } catch {
      // woken early
    } finally {
      this.released.off(key, wake);
    }
  }

  private slot(key: string, kind: AttemptKind): AttemptSlot {
    const c = COLUMNS[kind];
    let settled = false;
    const once = async <T>(work: () => Promise<T>): Promise<T> => {
      if (settled) throw new Error('attempt slot already settled');
      settled = true;
      try {
        return await work();
      } finally {
        this.released.emit(key);
      }
    };
    const decrement = sql`CASE WHEN ${sql.ref(c.inFlight)} > 0 THEN ${sql.ref(c.inFlight)} - 1 ELSE 0 END`;
    return {
      failed: () =>
        once(async () => {
          const now = this.clock();
          const { limit, lockoutMs } = await this.limitFor(kind);
          const lockUntil = now + lockoutMs;
          // A failure that finishes while the account is already locked does not count twice.
          const reaches = sql`(${sql.ref(c.failures)} + 1 >= ${limit} AND (locked_until IS NULL OR locked_until <= ${now}))`;
          const result = await sql<{ locked_until: number | string | null }>`
            UPDATE attempt_counters
            SET ${sql.ref(c.inFlight)} = ${decrement},
                password_failures = CASE WHEN ${reaches} THEN 0 WHEN locked_until > ${now} THEN password_failures
                                    ELSE password_failures + ${kind === 'password' ? 1 : 0} END,
                code_failures = CASE WHEN ${reaches} THEN 0 WHEN locked_until > ${now} THEN code_failures
                                ELSE code_failures + ${kind === 'code' ? 1 : 0} END,
                locked_until = CASE WHEN ${reaches} THEN ${lockUntil} ELSE locked_until END
            WHERE key = ${key}
            RETURNING locked_until`.execute(this.db);
          const lockedUntil = result.rows[0]?.locked_until == null ? null : Number(result.rows[0].locked_until);
          return { lockedNow: lockedUntil === lockUntil, lockedUntil };
        }),
      succeeded: () =>
        once(async () => {
          await sql`UPDATE attempt_counters SET ${sql.ref(c.inFlight)} = ${decrement}, ${sql.ref(c.failures)} = 0 WHERE key = ${key}`.execute(this.db);
        }),
      release: () =>
        once(async () => {
          await sql`UPDATE attempt_counters SET ${sql.ref(c.inFlight)} = ${decrement} WHERE key = ${key}`.execute(this.db);
        }),
    };
  }

  async lockedUntil(key: string): Promise<number | null> {
    const row = await this.db.selectFrom('attempt_counters').select('locked_until').where('key', '=', key).executeTakeFirst();
    return row?.locked_until != null && row.locked_until > this.clock() ? row.locked_until : null;
  }

  async lockedUntilMany(keys: string[]): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    if (keys.length === 0) return result;
    const now = this.clock();
    const rows = await this.db.selectFrom('attempt_counters').select(['key', 'locked_until']).where('key', 'in', keys).where('locked_until', '>', now).execute();
    for (const row of rows) if (row.locked_until !== null) result.set(row.key, row.locked_until);
    return result;
  }

  /** Lifts a lock and forgets the failures. Answers whether the account was locked. */
  async unlock(key: string): Promise<boolean> {
    const wasLocked = (await this.lockedUntil(key)) !== null;
    await this.db.updateTable('attempt_counters').set({ password_failures: 0, code_failures: 0, locked_until: null }).where('key', '=', key).execute();
    return wasLocked;
  }

  /** Drops rows that hold nothing (no failures, no lock, no recent reservation). */
  async prune(): Promise<void> {
    const now = this.clock();
    await this.db
      .deleteFrom('attempt_counters')
      .where('password_failures', '=', 0)
      .where('code_failures', '=', 0)
      .where('reserved_at', '<', now - STALE_RESERVATION_MS)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
      .execute();
  }
}

export function accountCounterKey(userId: string): string {
  return `u:${userId}`;
}
