// Exactly which user fields leave the server. The password hash never does.
import type { AdminUser, TwoFactorKind, User } from '../../shared/api-types.js';
import type { UserRow } from './users.repository.js';

const iso = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString());

export function presentUser(
  row: Pick<UserRow, 'id' | 'email' | 'role'> & { locale?: string },
  twoFactorEnabled: boolean,
  extra: { twoFactorRequiredBy?: number | null } = {},
): User {
  const user: User = { id: row.id, email: row.email, role: row.role, twoFactorEnabled };
  if (row.locale === 'en' || row.locale === 'es') user.locale = row.locale;
  if (extra.twoFactorRequiredBy != null) user.twoFactorRequiredBy = new Date(extra.twoFactorRequiredBy).toISOString();
  return user;
}

export function presentAdminUser(
  row: UserRow,
  factors: readonly TwoFactorKind[],
  lock: { until: number | null; permanent: boolean } | null,
  requirement: { required: boolean; requiredBy: number | null; overdue: boolean } = { required: false, requiredBy: null, overdue: false },
  groups: readonly string[] = [],
): AdminUser {
  return {
    ...presentUser(row, factors.length > 0, { twoFactorRequiredBy: requirement.requiredBy }),
    factors: [...factors],
    groups: [...groups],
    twoFactorRequired: requirement.required,
    twoFactorOverdue: requirement.overdue,
    createdAt: new Date(row.created_at).toISOString(),
    lastSignInAt: iso(row.last_sign_in_at),
    lockedUntil: iso(lock?.until ?? null),
    lockedPermanently: lock?.permanent ?? false,
    blocked: row.blocked === 1,
  };
}
