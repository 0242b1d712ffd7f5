// Step-up (recent re-authentication, like GitHub's sudo mode): the password, plus a code when the
// account has 2FA, opens a 10-minute window for this one session in which it may change factors,
// the password, or weaken an account or the platform. Both secrets go through the attempt
// limiter: wrong ones count toward the same locks as at sign-in.
import { AppError } from '../../http/errors.js';
import type { RecordAudit } from '../audit/index.js';
import type { PasswordService } from '../account/index.js';
import type { ResolvedSession, SessionsService } from '../sessions/index.js';
import type { TrustedDevicesService } from '../trusted-devices/index.js';
import type { SecondStepService } from '../two-factor/index.js';

export interface StepUpDeps {
  passwords: PasswordService;
  secondStep: SecondStepService;
  devices: TrustedDevicesService;
  sessions: SessionsService;
  audit: RecordAudit;
}

export class StepUpService {
  constructor(private readonly deps: StepUpDeps) {}

  /** `deviceToken`: the browser's device cookie; wrong secrets count on its counter when it is trusted. */
  async stepUp(session: ResolvedSession, input: { password: string; code?: string }, address: string | null, deviceToken: string | null = null): Promise<void> {
    const ref = { id: session.user.id, email: session.user.email };
    // Whether the account has 2FA is no secret to the session's holder (GET /api/session says it),
    // so a missing code is answered before anything is checked or counted.
    if (session.twoFactorEnabled && !input.code?.trim()) {
      throw new AppError('invalid_code', 'Enter a code from the authenticator app (or a backup code).');
    }
    const counterKey = await this.deps.devices.counterKey(ref.id, deviceToken);
    await this.deps.passwords.confirm(session.user, input.password, address, counterKey);
    let factor: 'totp' | 'backup_code' | null = null;
    if (session.twoFactorEnabled) {
      // An app code or one backup code, as at sign-in: each works once.
      const { secondStep } = this.deps;
      const code = input.code!;
      factor = (await secondStep.complete({ purpose: 'step_up', user: ref, counterKey, address, method: secondStep.codeMethod(code), input: code })).method;
    }
    // Which factor is kept: an app code here also stands for the app code that replacing the
    // backup codes asks (the step-up just spent it), a backup code does not.
    await this.deps.sessions.markReauthenticated(session, factor);
    await this.deps.audit({ kind: 'reauthenticated', actor: ref, subject: ref, address });
  }
}
