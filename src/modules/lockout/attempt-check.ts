// Runs one secret check (a password or a code) inside an attempt slot: the only way the rest of
// the code checks secrets that count toward a limit. A failure that locks the account is audited
// here, once, whichever call made it.
import type { Services } from '../../services.js';
import type { AccountRef } from '../audit/audit.repository.js';
import type { AttemptKind } from './attempt-limiter.js';

/**
 * The check's result, or null when it failed. `subject` is the account for the audit event
 * (null for an email with no account); `address` is the caller's.
 */
export async function checkWithinLimit<T>(
  s: Services,
  attempt: { key: string; kind: AttemptKind; subject: AccountRef | null; address: string | null },
  check: () => Promise<T | null>,
): Promise<T | null> {
  const slot = await s.limiter.reserve(attempt.key, attempt.kind);
  let result: T | null;
  try {
    result = await check();
  } catch (error) {
    await slot.release().catch(() => {});
    throw error;
  }
  if (result !== null) {
    await slot.succeeded();
    return result;
  }
  const { lockedNow } = await slot.failed();
  if (lockedNow) {
    await s.audit({ kind: 'account.locked', subject: attempt.subject, address: attempt.address, details: { reason: `${attempt.kind}_attempts` } });
  }
  return null;
}
