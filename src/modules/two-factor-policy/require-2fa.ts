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

  /**
   * Starts the clock of every user the new policy requires who has none yet, and stops it for those
   * it no longer requires, so each grace period counts from when the requirement first applied.
   */
  async applyPolicyChange(before: Require2fa, after: Require2fa): Promise<void> {
    if (before === after) return;
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      if (after === 'off') {
        await trx.updateTable('users').set({ two_factor_required_since: null }).execute();
        return;
      }
      if (after === 'admins') await trx.updateTable('users').set({ two_factor_required_since: null }).where('role', '=', 'user').execute();
      let stamp = trx.updateTable('users').set({ two_factor_required_since: now }).where('two_factor_required_since', 'is', null);
      if (after === 'admins') stamp = stamp.where('role', '=', 'admin');
      await stamp.execute();
    });
  }

  /** When a user is created or changes role: start or stop their clock as the policy says. */
  async applyToUser(userId: string, role: UserRow['role']): Promise<void> {
    const { require2fa } = await this.settings.get();
    if (isRequired(require2fa, role)) {
      await this.db.updateTable('users').set({ two_factor_required_since: this.clock() }).where('id', '=', userId).where('two_factor_required_since', 'is', null).execute();
    } else {
      await this.db.updateTable('users').set({ two_factor_required_since: null }).where('id', '=', userId).execute();
    }
  }

  /** For the Users table: is this user required to have 2FA, by when, and are they overdue? */
  async describe(user: UserRow, twoFactorEnabled: boolean): Promise<{ required: boolean; requiredBy: number | null; overdue: boolean }> {
    const { require2fa, require2faGraceDays } = await this.settings.get();
    if (!isRequired(require2fa, user.role)) return { required: false, requiredBy: null, overdue: false };
    if (twoFactorEnabled || user.two_factor_required_since == null) return { required: true, requiredBy: null, overdue: false };
    const { deadline, overdue } = graceDecision(user.two_factor_required_since, require2faGraceDays, this.clock());
    return { required: true, requiredBy: deadline, overdue };
  }

  /** After an administrator removes a required user's 2FA, they must enrol at their next sign-in. */
  async requireEnrolmentNow(user: UserRow): Promise<void> {
    const { require2fa } = await this.settings.get();
    if (isRequired(require2fa, user.role)) {
      await this.db.updateTable('users').set({ two_factor_required_since: 0 }).where('id', '=', user.id).execute();
    }
  }
}
