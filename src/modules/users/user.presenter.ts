// Exactly which user fields leave the server. The password hash never does.
import type { AdminUser, TwoFactorKind, User } from '../../shared/api-types.js';
import type { UserRow } from './users.repository.js';
import type { Profile } from './profile.js';

const iso = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString());

/**
 * `profile`: the account's names, for the answers that carry them (GET /api/session, the users
 * list); sign-in answers do not (the UI asks GET /api/session next).
 */
export function presentUser(
  row: Pick<UserRow, 'id' | 'email' | 'role'> & { locale?: string },
  twoFactorEnabled: boolean,
  extra: { twoFactorRequiredBy?: number | null; profile?: Profile } = {},
): User {
  const user: User = { id: row.id, email: row.email, role: row.role, twoFactorEnabled };
  if (row.locale === 'en' || row.locale === 'es') user.locale = row.locale;
  if (extra.profile) Object.assign(user, extra.profile);
  if (extra.twoFactorRequiredBy != null) user.twoFactorRequiredBy = new Date(extra.twoFactorRequiredBy).toISOString();
  return user;
}

function profileOfRow(row: Pick<UserRow, 'display_name' | 'given_name' | 'family_name'>): Profile {
  return { displayName: row.display_name ?? null, givenName: row.given_name ?? null, familyName: row.family_name ?? null };
}

export function presentAdminUser(
  row: UserRow,
  factors: readonly TwoFactorKind[],
  lock: { until: number | null; permanent: boolean } | null,
  requirement: { required: boolean; requiredBy: number | null; overdue: boolean } = { required: false, requiredBy: null, overdue: false },
  groups: readonly string[] = [],
): AdminUser {
  return {
    ...presentUser(row, factors.length > 0, { twoFactorRequiredBy: requirement.requiredBy, profile: profileOfRow(row) }),
    factors: [...factors],
    groups: [...groups],
    twoFactorRequired: requirement.required,
    twoFactorOverdue: requirement.overdue,
    createdAt: new Date(row.created_at).toISOString(),
    lastSignInAt: iso(row.last_sign_in_at),
    lockedUntil: iso(lock?.until ?? null),
    lockedPermanently: lock?.permanent ?? false,
    blocked: row.blocked === 1,
    awaitingApproval: row.awaiting_approval === 1,
  };
}
