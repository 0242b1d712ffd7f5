// The require-2FA rule, pure: does a policy cover an account, when does its grace period end, and
// may a signed-in session of it do only enrolment? Sessions (on every request), sign-in, the policy
// and the administrators' list all decide with these, so the rule has one home.
import type { Require2fa, Role } from '../shared/api-types.js';

const DAY_MS = 86_400_000;

/** Does the policy, or the account's own requirement (an invitation's choice), require 2FA of it? */
export function isTwoFactorRequired(policy: Require2fa, role: Role, accountRequired = false): boolean {
  return accountRequired || policy === 'everyone' || (policy === 'admins' && role === 'admin');
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
  /** 2FA required of this one account, with no grace period (users.two_factor_required). */
  accountRequired?: boolean;
}

/**
 * Pure, and cheap enough for every request: may this signed-in session do only enrolment? A
 * session follows the account as it is now (policy, grace, 2FA, role), not as it was at sign-in.
 */
export function isRestrictedNow(a: AccountStanding, now: number): boolean {
  if (a.twoFactorEnabled) return false;
  // An account-level requirement has no grace period: it holds from the first sign-in.
  if (a.accountRequired) return true;
  if (!isTwoFactorRequired(a.require2fa, a.role)) return false;
  return graceDecision(a.twoFactorRequiredSince ?? now, a.require2faGraceDays, now).overdue;
}

export interface SessionDecision {
  /** The session may only enrol in 2FA. */
  restricted: boolean;
  /** The deadline to enable 2FA, while inside the grace period (or past it, when restricted). */
  requiredBy: number | null;
}
