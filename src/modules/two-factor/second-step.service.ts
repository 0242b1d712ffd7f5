// Finishing the second step, once for everyone who asks for it: a sign-in's second step (code or
// security key), a passkey sign-in, an application's (OpenID Connect) request for a second factor,
// and step-up. Every answer spends an attempt slot of the counter the caller names (the browser's
// trusted device, or the account: trusted-devices/ decides), so a wrong answer counts the same
// wherever it is typed, and every refusal is audited and answered the same way.
import { AppError } from '../../http/errors.js';
import type { AccountRef, RecordAudit } from '../audit/index.js';
import type { AttemptLimiter } from '../attempt-limits/index.js';
import { blameForFailedCode, type ClockWitness } from '../clock-health/index.js';
import type { Metrics } from '../ops/index.js';
import { isAppCodeFormat } from '../totp/index.js';
import type { WebauthnService } from '../webauthn/index.js';
import { backupCodeMethod } from './methods/backup-code.js';
import type { SecondFactorMethod } from './methods/method.js';
import { securityKeyMethod } from './methods/security-key.js';
import { totpMethod } from './methods/totp.js';
import { type CodeRefusal, refusedCodeError, type TwoFactorService } from './two-factor.service.js';

/** Why the second step is being taken: a sign-in (counted in the sign-in metrics) or a step-up. */
export type SecondStepPurpose = 'sign_in' | 'step_up';

export interface SecondStep<Input, Proof> {
  purpose: SecondStepPurpose;
  user: AccountRef;
  /** The attempt counter the answer spends (TrustedDevicesService.recognise). */
  counterKey: string;
  address: string | null;
  method: SecondFactorMethod<Input, Proof>;
  input: Input;
}

export interface SecondStepDeps {
  twoFactor: TwoFactorService;
  webauthn: WebauthnService;
  limiter: AttemptLimiter;
  audit: RecordAudit;
  metrics: Metrics;
  /** This instance's clock estimate, so a refused code can point at a skewed server. */
  clockWitness?: ClockWitness;
}

export class SecondStepService {
  readonly totp: SecondFactorMethod<string, { method: 'totp' }>;
  readonly backupCode: SecondFactorMethod<string, { method: 'backup_code'; backupCodesLeft: number }>;
  readonly securityKey: ReturnType<typeof securityKeyMethod>;
  readonly passkey: ReturnType<typeof securityKeyMethod>;

  constructor(private readonly deps: SecondStepDeps) {
    this.totp = totpMethod(deps.twoFactor);
    this.backupCode = backupCodeMethod(deps.twoFactor);
    this.securityKey = securityKeyMethod(deps.webauthn, 'webauthn');
    this.passkey = securityKeyMethod(deps.webauthn, 'passkey');
  }

  /** A typed code is an app code when it has the app's format, a backup code otherwise. */
  codeMethod(code: string): SecondFactorMethod<string, { method: 'totp' } | { method: 'backup_code'; backupCodesLeft: number }> {
    return isAppCodeFormat(code.trim()) ? this.totp : this.backupCode;
  }

  /**
   * Checks the answer inside an attempt slot of the caller's counter; answers the proof, or throws
   * (invalid_code with the attempts left, invalid_security_key, or locked) after auditing the refusal.
   */
  async complete<Input, Proof>(step: SecondStep<Input, Proof>): Promise<Proof> {
    const { user, address, method, purpose } = step;
    const refusal: CodeRefusal = {};
    const proof = await this.deps.limiter.check({ key: step.counterKey, kind: 'code', subject: user, address }, () =>
      method.verify(user, step.input, address, refusal),
    );
    if (proof !== null) {
      if (purpose === 'sign_in') this.deps.metrics.secondFactor.inc({ outcome: method.name });
      return proof;
    }
    if (purpose === 'step_up') {
      await this.deps.audit({ kind: 'reauthentication.failed', actor: user, subject: user, address, details: { step: 'code' } });
      throw method.refusal === 'invalid_code' ? refusedCodeError(refusal) : new AppError(method.refusal);
    }
    this.deps.metrics.secondFactor.inc({ outcome: 'invalid_code' });
    if (method.refusal === 'invalid_security_key') {
      await this.deps.audit({ kind: 'sign_in.failed', subject: user, address, details: { reason: 'security_key_refused', step: 'code', method: method.name } });
      throw new AppError('invalid_security_key');
    }
    await this.deps.audit({ kind: 'sign_in.failed', subject: user, address, details: { reason: 'wrong_code', step: 'code' } });
    // The password is already proven here, so the count reveals nothing about who has an account.
    const extra = { attemptsLeft: await this.deps.limiter.attemptsLeft(step.counterKey, 'code') };
    // A right code already spent: the clocks are fine, whatever the estimate says.
    throw refusal.reused ? refusedCodeError(refusal, extra) : await this.invalidCode(user.id, extra);
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
}
