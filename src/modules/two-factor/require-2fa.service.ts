// Require-2FA: which session a sign-in earns under the policy (full, or restricted to enrolment once
// the grace period is over), and on the administrators' side starting and stopping each user's
// clock when the policy, a role or an account changes, and describing the requirement in the Users
// table. The grace period runs from when the requirement first applied to each user, stored on the
// user row, not derived from today's setting alone (a policy change must not restart or skip
// anyone's clock). The rule itself is pure: core/two-factor-requirement.ts.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { AuthSettings, Require2fa } from '../settings/index.js';
import type { SettingsService } from '../settings/index.js';
import { graceDecision, isRestrictedNow, isTwoFactorRequired, type SessionDecision } from '../../core/two-factor-requirement.js';
import { setTwoFactorClock, startTwoFactorClock, startTwoFactorClocks, stopTwoFactorClocks, type Role, type UserRow } from '../users/index.js';

export interface TwoFactorRequirement {
  required: boolean;
  requiredBy: number | null;
  overdue: boolean;
}

export class RequireTwoFactorPolicy {
  private readonly db: Kysely<DB>;
  private readonly settings: SettingsService;
  private readonly clock: () => number;

  constructor(deps: { db: Kysely<DB>; settings: SettingsService; clock: () => number }) {
    this.db = deps.db;
    this.settings = deps.settings;
    this.clock = deps.clock;
  }

  /** Which session a sign-in earns once its factors are proven (restricted: it may only enrol in 2FA). */
  async decide(user: Pick<UserRow, 'id' | 'role' | 'two_factor_required_since' | 'two_factor_required'>, twoFactorEnabled: boolean): Promise<SessionDecision> {
    // Required of this one account (an invitation's choice): enrolment first, no grace period.
    if (!twoFactorEnabled && user.two_factor_required === 1) return { restricted: true, requiredBy: this.clock() };
    const { require2fa, require2faGraceDays } = this.settings.fresh() ?? (await this.settings.get());
    if (twoFactorEnabled || !isTwoFactorRequired(require2fa, user.role)) return { restricted: false, requiredBy: null };
    const now = this.clock();
    // First time the requirement applies to this user: start their clock (once, even if racing).
    const since = user.two_factor_required_since ?? (await startTwoFactorClock(this.db, user.id, now));
    const { deadline, overdue } = graceDecision(since, require2faGraceDays, now);
    return { restricted: overdue, requiredBy: deadline };
  }

  /**
   * Starts the clock of every user the new policy requires who has none yet, and stops it for those
   * it no longer requires, so each grace period counts from when the requirement first applied.
   * Runs inside the settings change's transaction.
   */
  async applyPolicyChange(trx: Kysely<DB>, before: Require2fa, after: Require2fa): Promise<void> {
    if (before === after) return;
    const now = this.clock();
    if (after === 'off') return stopTwoFactorClocks(trx);
    if (after === 'admins') {
      await stopTwoFactorClocks(trx, 'user');
      return startTwoFactorClocks(trx, now, 'admin');
    }
    return startTwoFactorClocks(trx, now);
  }

  /** Would these settings restrict this account to enrolment right now (its clock, if none yet, starting now)? */
  wouldRestrict(user: Pick<UserRow, 'role' | 'two_factor_required_since' | 'two_factor_required'>, twoFactorEnabled: boolean, settings: AuthSettings): boolean {
    const { require2fa, require2faGraceDays } = settings;
    return isRestrictedNow(
      {
        require2fa,
        require2faGraceDays,
        role: user.role,
        twoFactorEnabled,
        twoFactorRequiredSince: user.two_factor_required_since,
        accountRequired: user.two_factor_required === 1,
      },
      this.clock(),
    );
  }

  /** When a user changes role: start or stop their clock as the policy says. */
  async applyToUser(userId: string, role: Role): Promise<void> {
    const { require2fa } = await this.settings.get();
    if (isTwoFactorRequired(require2fa, role)) await startTwoFactorClock(this.db, userId, this.clock());
    else await setTwoFactorClock(this.db, userId, null);
  }

  /** When a user is created: the clock's start, if the policy covers the role. */
  async clockForNewUser(role: Role): Promise<number | null> {
    const { require2fa } = await this.settings.get();
    return isTwoFactorRequired(require2fa, role) ? this.clock() : null;
  }

  /** For the Users table: is this user required to have 2FA, by when, and are they overdue? */
  async describe(user: UserRow, twoFactorEnabled: boolean): Promise<TwoFactorRequirement> {
    if (user.two_factor_required === 1) return { required: true, requiredBy: null, overdue: !twoFactorEnabled };
    const { require2fa, require2faGraceDays } = await this.settings.get();
    if (!isTwoFactorRequired(require2fa, user.role)) return { required: false, requiredBy: null, overdue: false };
    if (twoFactorEnabled || user.two_factor_required_since == null) return { required: true, requiredBy: null, overdue: false };
    const { deadline, overdue } = graceDecision(user.two_factor_required_since, require2faGraceDays, this.clock());
    return { required: true, requiredBy: deadline, overdue };
  }

  /** After an administrator removes a required user's 2FA, they must enrol at their next sign-in. */
  async requireEnrolmentNow(user: UserRow): Promise<void> {
    const { require2fa } = await this.settings.get();
    if (isTwoFactorRequired(require2fa, user.role)) await setTwoFactorClock(this.db, user.id, 0);
  }
}
