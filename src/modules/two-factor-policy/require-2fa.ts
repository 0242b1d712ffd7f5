// Require-2FA policy: who must have 2FA, and whether their grace period is over. The grace
// period runs from when the requirement first applied to each user, stored on the user row,
// not derived from today's setting alone (a policy change must not restart or skip anyone's clock).
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Require2fa } from '../settings/auth-settings.js';
import type { SettingsService } from '../settings/settings.service.js';
import type { UserRow } from '../users/users.repository.js';

const DAY_MS = 86_400_000;

export function isRequired(policy: Require2fa, role: UserRow['role']): boolean {
  return policy === 'everyone' || (policy === 'admins' && role === 'admin');
}

/** Pure: given the stored start of the requirement, when is the deadline and is it past? */
export function graceDecision(requiredSince: number, graceDays: number, now: number): { deadline: number; overdue: boolean } {
  const deadline = requiredSince + graceDays * DAY_MS;
  return { deadline, overdue: now >= deadline };
}

export interface PolicyDecision {
  /** The session may only enrol in 2FA. */
  restricted: boolean;
  /** The deadline to enable 2FA, while inside the grace period. */
  requiredBy: number | null;
}

export class AccessPolicy {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly settings: SettingsService,
    private readonly clock: () => number,
  ) {}

  async decide(user: UserRow, twoFactorEnabled: boolean): Promise<PolicyDecision> {
    const { require2fa, require2faGraceDays } = await this.settings.get();
    if (twoFactorEnabled || !isRequired(require2fa, user.role)) {
      return { restricted: false, requiredBy: null };
    }
    const now = this.clock();
    let since = user.two_factor_required_since;
    if (since == null) {
      since = now;
      // First time the requirement applies to this user: start their clock (once, even if racing).
      await this.db.updateTable('users').set({ two_factor_required_since: now }).where('id', '=', user.id).where('two_factor_required_since', 'is', null).execute();
      const stored = await this.db.selectFrom('users').select('two_factor_required_since').where('id', '=', user.id).executeTakeFirst();
      since = stored?.two_factor_required_since ?? now;
    }
    const { deadline, overdue } = graceDecision(since, require2faGraceDays, now);
    return overdue ? { restricted: true, requiredBy: deadline } : { restricted: false, requiredBy: deadline };
  }

  /** After an administrator removes a required user's 2FA, they must enrol at their next sign-in. */
  async requireEnrolmentNow(user: UserRow): Promise<void> {
    const { require2fa } = await this.settings.get();
    if (isRequired(require2fa, user.role)) {
      await this.db.updateTable('users').set({ two_factor_required_since: 0 }).where('id', '=', user.id).execute();
    }
  }
}
