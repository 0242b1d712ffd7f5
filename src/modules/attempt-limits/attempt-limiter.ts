// Consecutive-failure limits per counter (an account, a trusted device of an account, or an
// unknown email), exact across instances.
//
// The rule (lockout.ts has the arithmetic): failures of a factor are counted until that factor
// succeeds or an administrator unlocks; a lock running out does not reset them. The counter locks
// again after each further `limit` failures, the k-th lock of a run lasting lockoutSeconds × 2^(k−1)
// (at most 24 h), and after 100 consecutive failures of either factor it refuses both steps until an
// administrator unlocks. So whoever waits out every lock gets exactly `limit` guesses per lock and
// exactly 100 in all. Both factors share the counter's lock: a locked second step also refuses the
// password step (the attacker learns nothing from it). A browser that presents a valid device cookie
// for the account is counted on its own counter (`deviceCounterKey`), with the same rule: failures
// from anywhere else never lock it out, and its own failures never lock out anyone else.
//
// Why it is exact: before checking a password or code, a caller reserves an attempt slot with
// one atomic UPDATE whose WHERE clause admits it only while
//     failures mod limit + attempts in flight < limit,   failures + in flight < 100,
// and the counter is not locked. SQLite runs one writer at a time and PostgreSQL re-checks the
// WHERE clause on the locked, newest row version (READ COMMITTED), so no two callers can take the
// same slot. At most `limit - failures mod limit` checks are therefore ever in flight; each failure
// is counted by a compare-and-set on the failure count (so the one that makes it a multiple of
// `limit` is known, and sets the lock before any slot frees), and every caller still waiting then
// sees the lock and answers 429. Callers that find the slots taken but no lock wait and try again
// (they are "after" the ones in flight), so right answers arriving together all succeed: nothing
// is refused early. Hashing happens between reservation and report, outside any transaction.
//
// Attempts refused while locked are counted on the row and reported as one `account.lock_refusals`
// event with their count, by the first attempt settled after the lock (or by the unlock).
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError, lockedError } from '../../http/errors.js';
import type { AccountRef, RecordAudit } from '../audit/index.js';
import type { SettingsService } from '../settings/index.js';
import * as counters from './attempt-counters.repository.js';
import { afterFailure, type FailureOutcome } from './lockout.js';

export type { AttemptKind } from './attempt-counters.repository.js';
type AttemptKind = counters.AttemptKind;

/** A reservation whose process died is forgotten after this long (no slot stays taken forever). */
const STALE_RESERVATION_MS = 60_000;
/** How long a caller waits for a free slot before giving up with 503. */
const MAX_WAIT_MS = 15_000;
/** Retry-After for a counter stopped until an administrator unlocks: nothing changes sooner by itself. */
const HARD_STOP_RETRY_SECONDS = 24 * 60 * 60;

export interface Attempt {
  /** The counter: accountCounterKey(user id), deviceCounterKey(…), or a keyed hash of an email with no account. */
  key: string;
  kind: AttemptKind;
  /** The account, for the audit event of a lock (null for an email with no account). */
  subject: AccountRef | null;
  address: string | null;
}

export class AttemptLimiter {
  private readonly released = new EventEmitter().setMaxListeners(0);
  private readonly db: Kysely<DB>;
  private readonly settings: SettingsService;
  private readonly audit: RecordAudit;
  private readonly clock: () => number;

  constructor(deps: { db: Kysely<DB>; settings: SettingsService; audit: RecordAudit; clock: () => number }) {
    this.db = deps.db;
    this.settings = deps.settings;
    this.audit = deps.audit;
    this.clock = deps.clock;
  }

  /**
   * Runs one secret check (a password or a code) inside an attempt slot: the only way the rest of
   * the code checks secrets that count toward a limit. Answers the check's result, or null when it
   * failed; throws 429 `locked` while the account is locked. A failure that locks the account is
   * audited here, once, whichever caller made it.
   */
  async check<T>(attempt: Attempt, secretCheck: () => Promise<T | null>): Promise<T | null> {
    await this.reserve(attempt);
    let result: T | null;
    try {
      result = await secretCheck();
    } catch (error) {
      await this.settle(attempt.key, () => counters.releaseSlot(this.db, attempt.key, attempt.kind)).catch(() => {});
      throw error;
    }
    if (result !== null) {
      await this.settle(attempt.key, () => counters.recordSuccess(this.db, attempt.key, attempt.kind));
      await this.reportRefusals(attempt);
      return result;
    }
    const outcome = await this.settle(attempt.key, () => this.countFailure(attempt));
    if (outcome.kind !== 'none') {
      const lock = outcome.kind === 'hard_stop' ? { permanent: true } : { lockNumber: outcome.nth, lockedUntil: new Date(outcome.until).toISOString() };
      const device = attempt.key.includes('/d/') ? { device: true } : {};
      await this.audit({
        kind: 'account.locked',
        subject: attempt.subject,
        address: attempt.address,
        details: { reason: `${attempt.kind}_attempts`, ...lock, ...device },
      });
    }
    await this.reportRefusals(attempt);
    return null;
  }

  /**
   * Failures this counter may still have before its next lock (0 once a failure just locked it):
   * what the second step tells its user after a wrong code. Read after the failure was counted.
   */
  async attemptsLeft(key: string, kind: AttemptKind): Promise<number> {
    const { limit } = await this.limitFor(kind);
    const failures = await counters.readFailures(this.db, key, kind);
    return failures > 0 && failures % limit === 0 ? 0 : limit - (failures % limit);
  }

  /** The counter's consecutive failures of `kind` (since its last success or unlock). */
  failures(key: string, kind: AttemptKind): Promise<number> {
    return counters.readFailures(this.db, key, kind);
  }

  /** Counts a failure (compare-and-set on the count, retried) and answers what it did. */
  private async countFailure(attempt: Attempt): Promise<FailureOutcome> {
    const { limit, lockoutMs } = await this.limitFor(attempt.kind);
    for (;;) {
      const failures = await counters.readFailures(this.db, attempt.key, attempt.kind);
      const outcome = afterFailure(failures + 1, limit, lockoutMs, this.clock());
      const lockUntil = outcome.kind === 'lock' ? outcome.until : null;
      if (await counters.recordFailure(this.db, { key: attempt.key, kind: attempt.kind, expected: failures, lockUntil })) return outcome;
    }
  }

  /** One event for the attempts refused during the lock that just ended (or was lifted). */
  private async reportRefusals(attempt: Pick<Attempt, 'key' | 'subject' | 'address'>): Promise<void> {
    const count = await counters.takeRefusals(this.db, attempt.key);
    if (count > 0) await this.audit({ kind: 'account.lock_refusals', subject: attempt.subject, address: attempt.address, details: { count } });
  }

  private async limitFor(kind: AttemptKind): Promise<{ limit: number; lockoutMs: number }> {
    const s = await this.settings.get();
    return { limit: kind === 'password' ? s.passwordAttempts : s.codeAttempts, lockoutMs: s.lockoutSeconds * 1000 };
  }

  /** Waits for a free slot; throws 429 `locked` (counting the refusal) while the counter is locked. */
  private async reserve(attempt: Attempt): Promise<void> {
    const { key, kind } = attempt;
    await counters.ensureCounter(this.db, key);
    const deadline = this.clock() + MAX_WAIT_MS;
    for (;;) {
      const now = this.clock();
      const { limit } = await this.limitFor(kind);
      if (await counters.takeSlot(this.db, { key, kind, limit, now, staleBefore: now - STALE_RESERVATION_MS })) return;
      // A fresh clock: the lock may have been set (by another instance) after `now` was read.
      const lock = (await this.locks([key])).get(key);
      if (lock) {
        await counters.countRefusal(this.db, key);
        if (lock.permanent)
          throw new AppError(
            'locked',
            'This account is locked until an administrator unlocks it.',
            { retryAfterSeconds: HARD_STOP_RETRY_SECONDS, permanent: true },
            { 'retry-after': String(HARD_STOP_RETRY_SECONDS) },
          );
        throw lockedError((lock.until! - this.clock()) / 1000);
      }
      if (now > deadline) throw new AppError('unavailable', 'Too many attempts at once on this account. Try again.');
      await this.waitForRelease(key);
    }
  }

  /** Settles a slot and wakes this instance's callers waiting on the same key. */
  private async settle<T>(key: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } finally {
      this.released.emit(key);
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

  /** The locks in force on these counters (timed, or until an administrator unlocks). */
  locks(keys: string[]): Promise<Map<string, counters.LockState>> {
    return counters.readLocks(this.db, keys, this.clock());
  }

  /**
   * Lifts the lock of a counter and of every counter under it (an account's devices) and forgets
   * their failures, reporting the refusals first. Answers whether it was locked.
   */
  async unlock(key: string, subject: AccountRef | null, address: string | null): Promise<boolean> {
    const wasLocked = (await this.locks([key])).has(key);
    await this.reportRefusals({ key, subject, address });
    await counters.clearCounter(this.db, key);
    return wasLocked;
  }

  /** Drops rows that hold nothing (no failures, no lock, no recent reservation). */
  prune(): Promise<void> {
    const now = this.clock();
    return counters.pruneCounters(this.db, now, now - STALE_RESERVATION_MS);
  }
}
