// Signing in: the password step, the second step, and the decision of which session each earns.
// Unknown emails take the same path and time as wrong passwords (a dummy Argon2id verification)
// and count toward a lock of their own, keyed by a keyed hash of the email: neither body, status,
// timing nor lockout reveals who has an account.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../http/errors.js';
import { keyedHash } from '../../crypto/secret-box.js';
import type { AccountRef, RecordAudit } from '../audit/audit.repository.js';
import type { Metrics } from '../ops/metrics.js';
import type { PasswordHasher } from '../passwords/password-hasher.js';
import type { SecondFactorResult, TwoFactorService } from '../two-factor/two-factor.service.js';
import { findUserByEmail, normalizeEmail, recordSignIn, upgradePasswordHash, type UserRow } from '../users/users.repository.js';
import { type AttemptLimiter, accountCounterKey } from './attempt-limiter.js';
import type { SessionDecider, SessionDecision } from './session-decision.js';

/** What the password step earned: the session kind to issue, and why. */
export type PasswordStepResult =
  | { status: 'authenticated'; user: UserRow; decision: SessionDecision }
  | { status: 'two_factor_setup_required'; user: UserRow }
  | { status: 'second_factor_required'; user: UserRow };

export interface SignInDeps {
  db: Kysely<DB>;
  hasher: PasswordHasher;
  limiter: AttemptLimiter;
  twoFactor: TwoFactorService;
  decider: SessionDecider;
  audit: RecordAudit;
  metrics: Metrics;
  clock: () => number;
  /** Keys the counters of emails with no account. */
  emailCounterKey: Buffer;
}

export class SignInService {
  constructor(private readonly deps: SignInDeps) {}

  /** The attempt counter for a password typed for `email`: the account's, or the email's own. */
  private passwordCounterKey(email: string, user: UserRow | undefined): string {
    return user ? accountCounterKey(user.id) : `e:${keyedHash(this.deps.emailCounterKey, normalizeEmail(email))}`;
  }

  async passwordStep(email: string, password: string, address: string | null): Promise<PasswordStepResult> {
    const { db, hasher, limiter, metrics, audit } = this.deps;
    const user = await findUserByEmail(db, email);
    const subject = user ? { id: user.id, email: user.email } : null;
    let verified: UserRow | null;
    try {
      verified = await limiter.check({ key: this.passwordCounterKey(email, user), kind: 'password', subject, address }, async () => {
        if (!user) {
          await hasher.verifyDummy(password);
          return null;
        }
        return (await hasher.verify(user.password_hash, password)) ? user : null;
      });
    } catch (error) {
      if (error instanceof AppError && error.code === 'locked') metrics.signIns.inc({ outcome: 'locked' });
      throw error;
    }
    if (!verified || !user) {
      metrics.signIns.inc({ outcome: 'invalid_credentials' });
      await audit({
        kind: 'sign_in.failed',
        subject,
        address,
        details: { reason: user ? 'wrong_password' : 'unknown_email', ...(user ? {} : { email: normalizeEmail(email).slice(0, 320) }) },
      });
      throw new AppError('invalid_credentials');
    }
    if (user.blocked) {
      metrics.signIns.inc({ outcome: 'blocked' });
      await audit({ kind: 'sign_in.failed', subject, address, details: { reason: 'blocked' } });
      throw new AppError('blocked');
    }
    if (hasher.needsRehash(user.password_hash)) {
      await upgradePasswordHash(db, user.id, user.password_hash, await hasher.hash(password));
    }
    if (await this.deps.twoFactor.isEnabled(user.id)) {
      metrics.signIns.inc({ outcome: 'second_factor_required' });
      return { status: 'second_factor_required', user };
    }
    await this.completeSignIn(user, address, 'password');
    const decision = await this.deps.decider.decide(user, false);
    return decision.restricted ? { status: 'two_factor_setup_required', user } : { status: 'authenticated', user, decision };
  }

  /** The second step: counts toward the code-attempt limit of the account. */
  async secondFactorStep(user: UserRow, code: string, address: string | null): Promise<SecondFactorResult> {
    const ref: AccountRef = { id: user.id, email: user.email };
    const result = await this.deps.limiter.check({ key: accountCounterKey(user.id), kind: 'code', subject: ref, address }, () =>
      this.deps.twoFactor.verifySecondFactor(ref, code, address),
    );
    if (!result) {
      this.deps.metrics.secondFactor.inc({ outcome: 'invalid_code' });
      await this.deps.audit({ kind: 'sign_in.failed', subject: ref, address, details: { reason: 'wrong_code' } });
      throw new AppError('invalid_code');
    }
    this.deps.metrics.secondFactor.inc({ outcome: result.method });
    await this.completeSignIn(user, address, result.method);
    return result;
  }

  private async completeSignIn(user: UserRow, address: string | null, method: string): Promise<void> {
    this.deps.metrics.signIns.inc({ outcome: 'authenticated' });
    await recordSignIn(this.deps.db, user.id, this.deps.clock());
    const ref = { id: user.id, email: user.email };
    await this.deps.audit({ kind: 'sign_in.succeeded', actor: ref, subject: ref, address, details: { method } });
  }
}
