// Re-authentication with the password (password change, disabling 2FA): counts toward the
// account's password-attempt limit like a sign-in does.
import { AppError } from '../../http/errors.js';
import type { Services } from '../../services.js';
import { accountCounterKey } from '../lockout/attempt-limiter.js';
import { checkWithinLimit } from '../lockout/attempt-check.js';
import { checkPassword, PASSWORD_PROBLEM_MESSAGES } from '../passwords/password-policy.js';
import { updatePasswordHash, type UserRow } from '../users/users.repository.js';

export async function confirmPassword(s: Services, user: UserRow, password: string, address: string | null): Promise<void> {
  const ref = { id: user.id, email: user.email };
  const verified = await checkWithinLimit(s, { key: accountCounterKey(user.id), kind: 'password', subject: ref, address }, async () =>
    (await s.hasher.verify(user.password_hash, password)) ? true : null,
  );
  if (!verified) {
    await s.audit({ kind: 'reauthentication.failed', actor: ref, subject: ref, address });
    throw new AppError('invalid_credentials', 'The password is not correct.');
  }
}

/** Applies the password rules; throws 400 weak_password with the reason. */
export function assertStrongPassword(password: string, email: string): void {
  const problem = checkPassword(password, [email, email.split('@')[0] ?? '', 'gatehouse']);
  if (problem) throw new AppError('weak_password', PASSWORD_PROBLEM_MESSAGES[problem], { reason: problem });
}

export async function changePassword(
  s: Services,
  user: UserRow,
  input: { currentPassword: string; newPassword: string },
  address: string | null,
): Promise<void> {
  await confirmPassword(s, user, input.currentPassword, address);
  assertStrongPassword(input.newPassword, user.email);
  await updatePasswordHash(s.db, user.id, await s.hasher.hash(input.newPassword), s.clock());
  const ref = { id: user.id, email: user.email };
  await s.audit({ kind: 'password.changed', actor: ref, subject: ref, address });
}
