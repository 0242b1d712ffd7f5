// The names of attempt counters (attempt-limits/ keeps the counts). Pure, so that every module
// that decides which counter a secret spends (sign-in, step-up, trusted devices, administrators'
// unlock) names it the same way without depending on the limiter.

/** The account's own counter. */
export function accountCounterKey(userId: string): string {
  return `u:${userId}`;
}

/** The counter of one trusted device of an account: under the account's key, so an unlock clears it too. */
export function deviceCounterKey(userId: string, deviceId: string): string {
  return `${accountCounterKey(userId)}/d/${deviceId}`;
}

/**
 * The code attempts of password resets for an account: only someone holding a reset link (the
 * mailbox) spends them, so failures at sign-in (which anyone who knows the email can make) never
 * lock the owner's way back in. Under the account's key, so an unlock clears it too.
 */
export function resetCounterKey(userId: string): string {
  return `${accountCounterKey(userId)}/reset`;
}
