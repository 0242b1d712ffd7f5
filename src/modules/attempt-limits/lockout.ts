// The lockout arithmetic, pure: what a failure does to a run of consecutive failures.
//
// A run of failures of one factor (password or code) on one counter lasts until that factor
// succeeds or an administrator unlocks; a lock running out does not end it. Every `limit`-th
// failure of the run locks the counter, each lock twice as long as the one before (capped at a day),
// and the 100th failure stops the run for good. So an attacker who waits out every lock gets exactly
// `limit` guesses per lock period and exactly HARD_STOP_FAILURES guesses in all.

/** NIST SP 800-63B §5.2.2: no more than 100 consecutive failed attempts on one account. */
export const HARD_STOP_FAILURES = 100;
/** The longest single lock: the doubling stops here. */
export const MAX_LOCK_MS = 24 * 60 * 60 * 1000;

export type FailureOutcome = { kind: 'none' } | { kind: 'lock'; until: number; nth: number } | { kind: 'hard_stop' };

/** The length of the `nth` lock of a run (1-based): lockoutMs × 2^(nth−1), at most MAX_LOCK_MS. */
export function lockLengthMs(nth: number, lockoutMs: number): number {
  // 2^30 already exceeds any lockoutSeconds (≥ 60 s) times it over a day: no overflow.
  return Math.min(MAX_LOCK_MS, lockoutMs * 2 ** Math.min(Math.max(nth - 1, 0), 30));
}

/** What the failure that brings a run to `failures` does. */
export function afterFailure(failures: number, limit: number, lockoutMs: number, now: number): FailureOutcome {
  if (failures >= HARD_STOP_FAILURES) return { kind: 'hard_stop' };
  if (failures % limit !== 0) return { kind: 'none' };
  const nth = failures / limit;
  return { kind: 'lock', nth, until: now + lockLengthMs(nth, lockoutMs) };
}
