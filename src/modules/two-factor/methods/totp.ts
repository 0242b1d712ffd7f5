// A code from the authenticator app (RFC 6238; totp/ has the arithmetic, the service the secret).
import type { TwoFactorService } from '../two-factor.service.js';
import type { SecondFactorMethod } from './method.js';

export function totpMethod(twoFactor: TwoFactorService): SecondFactorMethod<string, { method: 'totp' }> {
  return {
    name: 'totp',
    refusal: 'invalid_code',
    offered: (userId) => twoFactor.appEnabled(userId),
    verify: (user, code, address, refusal) => twoFactor.verifyAppCode(user, code.trim(), address, refusal),
    amr: (_proof, withPassword) => [...(withPassword ? ['pwd'] : []), 'otp', 'mfa'],
  };
}
