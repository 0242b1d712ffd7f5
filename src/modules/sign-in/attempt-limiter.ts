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
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError, lockedError } from '../../http/errors.js';
import type { AccountRef, RecordAudit } from '../audit/audit.repository.js';
import type { SettingsService } from '../settings/settings.service.js';
import * as counters from './attempt-counters.repository.js';

export type { AttemptKind } from './attempt-counters.repository.js';
type AttemptKind = counters.AttemptKind;

/** A reservation whose process died is forgotten after this long (no slot stays taken forever). */
const STALE_RESERVATION_MS = 60_000;
/** How long a caller waits for a free slot before giving up with 503. */
const MAX_WAIT_MS = 15_000;

export interface Attempt {
  /** The counter: accountCounterKey(user id), or a keyed hash of an email with no account. */
  key: string;
  kind: AttemptKind;
  /** The account, for the audit event of a lock (null for an email with no account). */
  subject: AccountRef | null;
  address: string | null;
}

export function accountCounterKey(userId: string): string {
  return `u:${userId}`;
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
    await this.reserve(attempt.key, attempt.kind);
    let result: T | null;
    try {
      result = await secretCheck();
    } catch (error) {
      await this.settle(attempt.key, () => counters.releaseSlot(this.db, attempt.key, attempt.kind)).catch(() => {});
      throw error;
    }
    if (result !== null) {
      await this.settle(attempt.key, () => counters.recordSuccess(this.db, attempt.key, attempt.kind));
      return result;
    }
    const now = this.clock();
    const { limit, lockoutMs } = await this.limitFor(attempt.kind);
    const lockUntil = now + lockoutMs;
    const lockedUntil = await this.settle(attempt.key, () => counters.recordFailure(this.db, { key: attempt.key, kind: attempt.kind, limit, now, lockUntil }));
    if (lockedUntil === lockUntil) {
      await this.audit({ kind: 'account.locked', subject: attempt.subject, address: attempt.address, details: { reason: `${attempt.kind}_attempts` } });
    }
    return null;
  }

  private async limitFor(kind: AttemptKind): Promise<{ limit: number; lockoutMs: number }> {
    const s = await this.settings.get();
    return { limit: kind === 'password' ? s.passwordAttempts : s.codeAttempts, lockoutMs: s.lockoutSeconds * 1000 };
  }

  /** Waits for a free slot; throws 429 `locked` while the account is locked. */
  private async reserve(key: string, kind: AttemptKind): Promise<void> {
    await counters.ensureCounter(this.db, key);
    const deadline = this.clock() + MAX_WAIT_MS;
    for (;;) {
      const now = this.clock();
      const { limit } = await this.limitFor(kind);
      if (await counters.takeSlot(this.db, { key, kind, limit, now, staleBefore: now - STALE_RESERVATION_MS })) return;
      // A fresh clock: the lock may have been set (by another instance) after `now` was read.
      const lockedUntil = await this.lockedUntil(key);
      if (lockedUntil !== null) throw lockedError((lockedUntil - this.clock()) / 1000);
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

  async lockedUntil(key: string): Promise<number | null> {
    return (await counters.readLocks(this.db, [key], this.clock())).get(key) ?? null;
  }

  lockedUntilMany(keys: string[]): Promise<Map<string, number>> {
    return counters.readLocks(this.db, keys, this.clock());
  }

  /** Lifts a lock and forgets the failures. Answers whether the account was locked. */
  async unlock(key: string): Promise<boolean> {
    const wasLocked = (await this.lockedUntil(key)) !== null;
    await counters.clearCounter(this.db, key);
    return wasLocked;
  }

  /** Drops rows that hold nothing (no failures, no lock, no recent reservation). */
  prune(): Promise<void> {
    const now = this.clock();
    return counters.pruneCounters(this.db, now, now - STALE_RESERVATION_MS);
  }
}
