// Which session a sign-in earns once its factors are proven: full, or restricted (may only enrol in
// 2FA) when a require-2FA policy covers the account and its grace period is over. The grace period
// runs from when the requirement first applied to each user, stored on the user row, not derived
// from today's setting alone (a policy change must not restart or skip anyone's clock).
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { graceDecision, isTwoFactorRequired, type SessionDecision } from '../../core/two-factor-requirement.js';
import type { SettingsService } from '../settings/index.js';
import { startTwoFactorClock, type UserRow } from '../users/index.js';

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
