// Signing in: the password step, the second step, and the decision of which session each earns.
// Unknown emails take the same path and time as wrong passwords (a dummy Argon2id verification)
// and count toward a lock of their own, keyed by a keyed hash of the email: neither body, status,
// timing nor lockout reveals who has an account (the audit log keeps that hash, not the email).
// A browser presenting a valid device cookie for the account is counted on the device's own
// counter (attempt-limiter.ts). A full sign-in tells the owner about failed second steps and locks
// since their previous sign-in.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../http/errors.js';
import { keyedHash } from '../../crypto/secret-box.js';
import { type AccountRef, failuresSince, insertAuditEvent, type RecordAudit } from '../audit/audit.repository.js';
import type { TrustedDevicesService } from '../devices/trusted-devices.service.js';
import type { SignInWarning } from '../../shared/api-types.js';
import type { Metrics } from '../ops/metrics.js';
import type { PasswordHasher } from '../passwords/password-hasher.js';
import { type CodeRefusal, type SecondFactorResult, type TwoFactorService, refusedCodeError } from '../two-factor/two-factor.service.js';
import { findUserForSignIn, normalizeEmail, recordSignIn, upgradePasswordHash, type UserRow } from '../users/users.repository.js';
import type { AttemptLimiter } from './attempt-limiter.js';
import { clearWarning, saveWarning } from './sign-in-warnings.repository.js';
import type { SessionDecider, SessionDecision } from './session-decision.js';
import { blameForFailedCode } from '../clock-health/clock-estimate.js';
import type { ClockWitness } from '../clock-health/clock-witness.js';

/** What the password step earned: the session kind to issue, and why. */
export type PasswordStepResult =
  | { status: 'authenticated'; user: UserRow; decision: SessionDecision; warning: SignInWarning | null }
  | { status: 'two_factor_setup_required'; user: UserRow }
  | { status: 'second_factor_required'; user: UserRow };

export interface SignInDeps {
  db: Kysely<DB>;
  hasher: PasswordHasher;
  limiter: AttemptLimiter;
  twoFactor: TwoFactorService;
  decider: SessionDecider;
  devices: TrustedDevicesService;
  audit: RecordAudit;
  metrics: Metrics;
  clock: () => number;
  /** Keys the counters of emails with no account. */
  emailCounterKey: Buffer;
  /** This instance's clock estimate, so a refused code can point at a skewed server. */
  clockWitness?: ClockWitness;
}

/** What completing a sign-in needs of the account: who, and since when to report failures. */
export type SignedInUser = Pick<UserRow, 'id' | 'email' | 'created_at' | 'last_sign_in_at'>;

export class SignInService {
  constructor(private readonly deps: SignInDeps) {}

  private emailHash(email: string): string {
    return keyedHash(this.deps.emailCounterKey, normalizeEmail(email));
  }

  /** The account's counter, or that of the trusted device the browser presents for it. */
  private accountKey(userId: string, deviceToken: string | null): Promise<string> {
    return this.deps.devices.counterKey(userId, deviceToken);
  }

  /** `deviceToken`: the browser's device cookie, if any (attempts with a valid one count per device). */
  async passwordStep(email: string, password: string, address: string | null, deviceToken: string | null = null): Promise<PasswordStepResult> {
    const { db, hasher, limiter, metrics, audit } = this.deps;
    const user = await findUserForSignIn(db, email);
    const subject = user ? { id: user.id, email: user.email } : null;
    const key = user ? await this.accountKey(user.id, deviceToken) : `e:${this.emailHash(email)}`;
    let verified: UserRow | null;
    try {
      verified = await limiter.check({ key, kind: 'password', subject, address }, async () => {
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
        details: { reason: user ? 'wrong_password' : 'unknown_email', step: 'password', ...(user ? {} : { emailHash: this.emailHash(email) }) },
      });
      throw new AppError('invalid_credentials');
    }
    if (user.blocked) {
      metrics.signIns.inc({ outcome: 'blocked' });
      await audit({ kind: 'sign_in.failed', subject, address, details: { reason: 'blocked', step: 'password' } });
      throw new AppError('blocked');
    }
    if (hasher.needsRehash(user.password_hash)) {
      await upgradePasswordHash(db, user.id, user.password_hash, await hasher.hash(password));
    }
    if (user.twoFactorEnabled) {
      metrics.signIns.inc({ outcome: 'second_factor_required' });
      return { status: 'second_factor_required', user };
    }
    const warning = await this.completeSignIn(user, address, 'password');
    const decision = await this.deps.decider.decide(user, false);
    return decision.restricted ? { status: 'two_factor_setup_required', user } : { status: 'authenticated', user, decision, warning };
  }

  /** The second step: counts toward the code-attempt limit of the account (or of the trusted device). */
  async secondFactorStep(
    user: SignedInUser,
    code: string,
    address: string | null,
    deviceToken: string | null = null,
  ): Promise<SecondFactorResult & { warning: SignInWarning | null }> {
    const ref: AccountRef = { id: user.id, email: user.email };
    const key = await this.accountKey(user.id, deviceToken);
    const refusal: CodeRefusal = {};
    const result = await this.deps.limiter.check({ key, kind: 'code', subject: ref, address }, () =>
      this.deps.twoFactor.verifySecondFactor(ref, code, address, refusal),
    );
    if (!result) {
      this.deps.metrics.secondFactor.inc({ outcome: 'invalid_code' });
      await this.deps.audit({ kind: 'sign_in.failed', subject: ref, address, details: { reason: 'wrong_code', step: 'code' } });
      // The password is already proven here, so the count reveals nothing about who has an account.
      const extra = { attemptsLeft: await this.deps.limiter.attemptsLeft(key, 'code') };
      // A reused code matched: the clocks are fine, whatever the estimate says.
      throw refusal.reused ? refusedCodeError(refusal, extra) : await this.invalidCode(user.id, extra);
    }
    this.deps.metrics.secondFactor.inc({ outcome: result.method });
    const warning = await this.completeSignIn(user, address, result.method);
    return { ...result, warning };
  }

  /**
   * A refused code: when this server's clock is estimated to be off and the account's phone looks
   * fine, the message points at the server (the person cannot fix it by fixing their phone).
   */
  private async invalidCode(userId: string, extra: Record<string, unknown>): Promise<AppError> {
    const estimate = this.deps.clockWitness?.current() ?? null;
    if (!estimate?.skewed || estimate.errorSeconds === null) return new AppError('invalid_code', undefined, extra);
    const { clockOffsetSeconds } = await this.deps.twoFactor.status(userId);
    if (blameForFailedCode(clockOffsetSeconds, estimate) !== 'server_clock') return new AppError('invalid_code', undefined, extra);
    const seconds = Math.abs(estimate.errorSeconds);
    const direction = estimate.errorSeconds > 0 ? 'ahead' : 'behind';
    return new AppError(
      'invalid_code',
      `The code was not accepted, and this server's clock seems about ${seconds} s ${direction}: contact your platform administrator to correct the time on the server.`,
      { ...extra, reason: 'server_clock', serverClockErrorSeconds: estimate.errorSeconds },
    );
  }

  /**
   * A security key as the second step, or a passkey as the whole sign-in: the check counts toward
   * the code-attempt limit like a code (of the account, or of the trusted device).
   */
  async securityKeyStep<T>(
    user: SignedInUser & Pick<UserRow, 'blocked'>,
    address: string | null,
    deviceToken: string | null,
    method: 'webauthn' | 'passkey',
    verify: () => Promise<T | null>,
  ): Promise<{ result: T; warning: SignInWarning | null }> {
    const ref: AccountRef = { id: user.id, email: user.email };
    const key = await this.accountKey(user.id, deviceToken);
    const result = await this.deps.limiter.check({ key, kind: 'code', subject: ref, address }, verify);
    if (result === null) {
      this.deps.metrics.secondFactor.inc({ outcome: 'invalid_code' });
      await this.deps.audit({ kind: 'sign_in.failed', subject: ref, address, details: { reason: 'security_key_refused', step: 'code', method } });
      throw new AppError('invalid_security_key');
    }
    if (user.blocked) {
      await this.deps.audit({ kind: 'sign_in.failed', subject: ref, address, details: { reason: 'blocked', step: 'code', method } });
      throw new AppError('blocked');
    }
    this.deps.metrics.secondFactor.inc({ outcome: method });
    return { result, warning: await this.completeSignIn(user, address, method) };
  }

  /** The warning shown to the owner since their last sign-in, until acknowledged. */
  acknowledgeWarning(userId: string): Promise<void> {
    return clearWarning(this.deps.db, userId);
  }

  /**
   * Records the sign-in and answers (and keeps) what happened to the account since the previous
   * one. The writes are one transaction (one commit instead of three on the hottest write path);
   * `hasSignInWarning: false` (known from the sign-in's read) skips clearing a warning that is not there.
   */
  private async completeSignIn(user: SignedInUser & { hasSignInWarning?: boolean }, address: string | null, method: string): Promise<SignInWarning | null> {
    const { db, clock } = this.deps;
    this.deps.metrics.signIns.inc({ outcome: 'authenticated' });
    const found = await failuresSince(db, user.id, user.last_sign_in_at ?? user.created_at);
    const warning: SignInWarning | null =
      found.last && (found.failedCodeAttempts > 0 || found.locks > 0)
        ? { failedCodeAttempts: found.failedCodeAttempts, locks: found.locks, lastAt: new Date(found.last.at).toISOString(), lastAddress: found.last.address }
        : null;
    const now = clock();
    const ref = { id: user.id, email: user.email };
    await db.transaction().execute(async (trx) => {
      if (warning !== null || user.hasSignInWarning !== false) await saveWarning(trx, user.id, warning, now);
      await recordSignIn(trx, user.id, now);
      await insertAuditEvent(trx, { kind: 'sign_in.succeeded', actor: ref, subject: ref, address, details: { method } }, now);
    });
    return warning;
  }
}
