// Creating and administering accounts: used by the admin API and by the command line alike.
import { AppError } from '../../http/errors.js';
import type { Services } from '../../services.js';
import type { AccountRef } from '../audit/audit.repository.js';
import { assertStrongPassword } from '../account/password.service.js';
import { accountCounterKey } from '../lockout/attempt-limiter.js';
import { isRequired } from '../two-factor-policy/require-2fa.js';
import { countActiveAdmins, findUserById, insertUser, isUniqueViolation, normalizeEmail, type Role, type UserRow } from './users.repository.js';

export async function createUser(
  s: Services,
  input: { email: string; password: string; role: Role },
  actor: AccountRef | null,
  address: string | null,
): Promise<UserRow> {
  const email = normalizeEmail(input.email);
  assertStrongPassword(input.password, email);
  const passwordHash = await s.hasher.hash(input.password);
  let user: UserRow;
  try {
    // Under a require-2FA policy that covers this role, the new user's grace period starts now.
    const { require2fa } = await s.settings.get();
    const now = s.clock();
    user = await insertUser(s.db, { email, role: input.role, passwordHash, now, twoFactorRequiredSince: isRequired(require2fa, input.role) ? now : null });
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('email_taken');
    throw error;
  }
  await s.audit({ kind: 'user.created', actor, subject: { id: user.id, email: user.email }, address, details: { role: user.role } });
  return user;
}

export async function requireUser(s: Services, id: string): Promise<UserRow> {
  const user = /^[0-9a-f-]{36}$/i.test(id) ? await findUserById(s.db, id) : undefined;
  if (!user) throw new AppError('not_found', 'No such user.');
  return user;
}

export async function unlockUser(s: Services, user: UserRow, actor: AccountRef | null, address: string | null): Promise<void> {
  const wasLocked = await s.limiter.unlock(accountCounterKey(user.id));
  await s.audit({ kind: 'account.unlocked', actor, subject: { id: user.id, email: user.email }, address, details: { wasLocked } });
}

/**
 * Blocks/unblocks and changes the role. The last active administrator can be neither blocked nor
 * demoted; the check and the change run in one transaction so two admins racing cannot both pass.
 */
export async function updateUser(
  s: Services,
  user: UserRow,
  patch: { blocked?: boolean; role?: Role },
  actor: AccountRef,
  address: string | null,
): Promise<UserRow> {
  const losesAdmin = user.role === 'admin' && !user.blocked && (patch.blocked === true || patch.role === 'user');
  const updated = await s.db.transaction().execute(async (trx) => {
    if (losesAdmin && (await countActiveAdmins(trx)) <= 1) throw new AppError('last_admin');
    const set: { blocked?: number; role?: Role } = {};
    if (patch.blocked !== undefined) set.blocked = patch.blocked ? 1 : 0;
    if (patch.role !== undefined) set.role = patch.role;
    if (Object.keys(set).length > 0) await trx.updateTable('users').set(set).where('id', '=', user.id).execute();
    if (patch.blocked) await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    return (await findUserById(trx, user.id))!;
  });
  const subject = { id: user.id, email: user.email };
  if (patch.blocked !== undefined && patch.blocked !== (user.blocked === 1)) {
    await s.audit({ kind: patch.blocked ? 'user.blocked' : 'user.unblocked', actor, subject, address });
  }
  if (patch.role !== undefined && patch.role !== user.role) {
    await s.audit({ kind: 'user.role_changed', actor, subject, address, details: { from: user.role, to: patch.role } });
  }
  return updated;
}
