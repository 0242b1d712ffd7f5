// Which session a sign-in earns once its factors are proven: full, or restricted (may only enrol in
// 2FA) when a require-2FA policy covers the account and its grace period is over. The grace period
// runs from when the requirement first applied to each user, stored on the user row, not derived
// from today's setting alone (a policy change must not restart or skip anyone's clock).
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Require2fa } from '../settings/auth-settings.js';
import type { SettingsService } from '../settings/settings.service.js';
import { startTwoFactorClock, type Role, type UserRow } from '../users/users.repository.js';

const DAY_MS = 86_400_000;

export function isTwoFactorRequired(policy: Require2fa, role: Role): boolean {
  return policy === 'everyone' || (policy === 'admins' && role === 'admin');
}

/** Pure: given the stored start of the requirement, when is the deadline and is it past? */
export function graceDecision(requiredSince: number, graceDays: number, now: number): { deadline: number; overdue: boolean } {
  const deadline = requiredSince + graceDays * DAY_MS;
  return { deadline, overdue: now >= deadline };
}

/** What the rules read about the account and the platform, as they are now. */
export interface AccountStanding {
  require2fa: Require2fa;
  require2faGraceDays: number;
  role: Role;
  twoFactorEnabled: boolean;
  /** When the requirement first applied to the user; null: not started (counts as now). */
  twoFactorRequiredSince: number | null;
}

/**
 * Pure, and cheap enough for every request: may this signed-in session do only enrolment? A
 * session follows the account as it is now (policy, grace, 2FA, role), not as it was at sign-in.
 */
export function isRestrictedNow(a: AccountStanding, now: number): boolean {
  if (a.twoFactorEnabled || !isTwoFactorRequired(a.require2fa, a.role)) return false;
  return graceDecision(a.twoFactorRequiredSince ?? now, a.require2faGraceDays, now).overdue;
}

export interface SessionDecision {
  /** The session may only enrol in 2FA. */
  restricted: boolean;
  /** The deadline to enable 2FA, while inside the grace period (or past it, when restricted). */
  requiredBy: number | null;
}

export class SessionDecider {
  private readonly db: Kysely<DB>;
  private readonly settings: SettingsService;
  private readonly clock: () => number;

  constructor(deps: { db: Kysely<DB>; settings: SettingsService; clock: () => number }) {
    this.db = deps.db;
    this.settings = deps.settings;
    this.clock = deps.clock;
  }

  async decide(user: Pick<UserRow, 'id' | 'role' | 'two_factor_required_since'>, twoFactorEnabled: boolean): Promise<SessionDecision> {
    const { require2fa, require2faGraceDays } = this.settings.fresh() ?? (await this.settings.get());
    if (twoFactorEnabled || !isTwoFactorRequired(require2fa, user.role)) return { restricted: false, requiredBy: null };
    const now = this.clock();
    // First time the requirement applies to this user: start their clock (once, even if racing).
    const since = user.two_factor_required_since ?? (await startTwoFactorClock(this.db, user.id, now));
    const { deadline, overdue } = graceDecision(since, require2faGraceDays, now);
    return { restricted: overdue, requiredBy: deadline };
  }
}
