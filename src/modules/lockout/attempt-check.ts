// Runs one secret check (a password or a code) inside an attempt slot: the only way the rest of
// the code checks secrets that count toward a limit.
import type { AttemptKind, AttemptLimiter } from './attempt-limiter.js';

export interface AttemptOutcome<T> {
  /** The check's result, or null when it failed. */
  result: T | null;
  /** This failure reached the limit and locked the account. */
  lockedNow: boolean;
}

export async function checkWithinLimit<T>(
  limiter: AttemptLimiter,
  key: string,
  kind: AttemptKind,
  check: () => Promise<T | null>,
): Promise<AttemptOutcome<T>> {
  const slot = await limiter.reserve(key, kind);
  let result: T | null;
  try {
    result = await check();
  } catch (error) {
    await slot.release().catch(() => {});
    throw error;
  }
  if (result === null) {
    const { lockedNow } = await slot.failed();
    return { result, lockedNow };
  }
  await slot.succeeded();
  return { result, lockedNow: false };
}
