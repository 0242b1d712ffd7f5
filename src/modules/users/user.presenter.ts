// Exactly which user fields leave the server. The password hash never does.
import type { UserRow } from './users.repository.js';

export interface PublicUser {
  id: string;
  email: string;
  role: 'admin' | 'user';
  twoFactorEnabled: boolean;
  twoFactorRequiredBy?: string;
  /** Only in GET /api/session for a session that may do nothing but enrol in 2FA. */
  restricted?: boolean;
}

export interface AdminUser extends PublicUser {
  createdAt: string;
  lastSignInAt: string | null;
  lockedUntil: string | null;
  blocked: boolean;
  /** The require-2FA policy applies to this account (and it has no 2FA yet, for requiredBy/overdue). */
  twoFactorRequired: boolean;
  twoFactorOverdue: boolean;
}

const iso = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString());

export function presentUser(row: UserRow, twoFactorEnabled: boolean, extra: { twoFactorRequiredBy?: number | null } = {}): PublicUser {
  const user: PublicUser = { id: row.id, email: row.email, role: row.role, twoFactorEnabled };
  if (extra.twoFactorRequiredBy != null) user.twoFactorRequiredBy = new Date(extra.twoFactorRequiredBy).toISOString();
  return user;
}

export function presentAdminUser(
  row: UserRow,
  twoFactorEnabled: boolean,
  lockedUntil: number | null,
  requirement: { required: boolean; requiredBy: number | null; overdue: boolean } = { required: false, requiredBy: null, overdue: false },
): AdminUser {
  return {
    ...presentUser(row, twoFactorEnabled, { twoFactorRequiredBy: requirement.requiredBy }),
    twoFactorRequired: requirement.required,
    twoFactorOverdue: requirement.overdue,
    createdAt: new Date(row.created_at).toISOString(),
    lastSignInAt: iso(row.last_sign_in_at),
    lockedUntil: iso(lockedUntil),
    blocked: row.blocked === 1,
  };
}
