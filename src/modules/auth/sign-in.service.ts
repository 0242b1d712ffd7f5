// The password step of signing in. Unknown emails take the same path and time as wrong
// passwords (a dummy Argon2id verification) and count toward a lock of their own, keyed by a
// keyed hash of the email: neither body, status, timing nor lockout reveals who has an account.
import { AppError } from '../../http/errors.js';
import { keyedHash } from '../../crypto/secret-box.js';
import type { Services } from '../../services.js';
import { accountCounterKey } from '../lockout/attempt-limiter.js';
import { checkWithinLimit } from '../lockout/attempt-check.js';
import { findUserByEmail, normalizeEmail, recordSignIn, upgradePasswordHash, type UserRow } from '../users/users.repository.js';
import type { TwoFactorService } from '../two-factor/two-factor.service.js';

export type PasswordStepResult =
  | { status: 'authenticated'; user: UserRow; twoFactorEnabled: false }
  | { status: 'second_factor_required'; user: UserRow };

export function passwordCounterKey(s: Services, email: string, user: UserRow | undefined): string {
  return user ? accountCounterKey(user.id) : `e:${keyedHash(s.keys.emailCounters, normalizeEmail(email))}`;
}

export class SignInService {
  constructor(
    private readonly s: Services,
    private readonly twoFactor: TwoFactorService,
  ) {}

  async passwordStep(email: string, password: string, address: string | null): Promise<PasswordStepResult> {
    const user = await findUserByEmail(this.s.db, email);
    const key = passwordCounterKey(this.s, email, user);
    const subject = user ? { id: user.id, email: user.email } : null;
    let verified;
    try {
      verified = await checkWithinLimit(this.s, { key, kind: 'password', subject, address }, async () => {
        if (!user) {
          await this.s.hasher.verifyDummy(password);
          return null;
        }
        return (await this.s.hasher.verify(user.password_hash, password)) ? user : null;
      });
    } catch (error) {
      if (error instanceof AppError && error.code === 'locked') this.s.metrics.signIns.inc({ outcome: 'locked' });
      throw error;
    }
    if (!verified || !user) {
      this.s.metrics.signIns.inc({ outcome: 'invalid_credentials' });
      await this.s.audit({
        kind: 'sign_in.failed',
        subject,
        address,
        details: { reason: user ? 'wrong_password' : 'unknown_email', ...(user ? {} : { email: normalizeEmail(email).slice(0, 320) }) },
      });
      throw new AppError('invalid_credentials');
    }
    const ref = { id: user.id, email: user.email };
    if (user.blocked) {
      this.s.metrics.signIns.inc({ outcome: 'blocked' });
      await this.s.audit({ kind: 'sign_in.failed', subject: ref, address, details: { reason: 'blocked' } });
      throw new AppError('blocked');
    }
    if (this.s.hasher.needsRehash(user.password_hash)) {
      await upgradePasswordHash(this.s.db, user.id, user.password_hash, await this.s.hasher.hash(password));
    }
    if (await this.twoFactor.isEnabled(user.id)) {
      this.s.metrics.signIns.inc({ outcome: 'second_factor_required' });
      return { status: 'second_factor_required', user };
    }
    await this.completeSignIn(user, address, 'password');
    return { status: 'authenticated', user, twoFactorEnabled: false };
  }

  async completeSignIn(user: UserRow, address: string | null, method: string): Promise<void> {
    this.s.metrics.signIns.inc({ outcome: 'authenticated' });
    await recordSignIn(this.s.db, user.id, this.s.clock());
    await this.s.audit({ kind: 'sign_in.succeeded', actor: { id: user.id, email: user.email }, subject: { id: user.id, email: user.email }, address, details: { method } });
  }

  /** The second step: counts toward the code-attempt limit of the account. */
  async secondFactorStep(user: UserRow, code: string, address: string | null) {
    const ref = { id: user.id, email: user.email };
    const result = await checkWithinLimit(this.s, { key: accountCounterKey(user.id), kind: 'code', subject: ref, address }, () =>
      this.twoFactor.verifySecondFactor(ref, code, address),
    );
    if (!result) {
      this.s.metrics.secondFactor.inc({ outcome: 'invalid_code' });
      await this.s.audit({ kind: 'sign_in.failed', subject: ref, address, details: { reason: 'wrong_code' } });
      throw new AppError('invalid_code');
    }
    this.s.metrics.secondFactor.inc({ outcome: result.method });
    await this.completeSignIn(user, address, result.method);
    return result;
  }
}
