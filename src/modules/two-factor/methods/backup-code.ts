// One single-use backup code (backup-codes/ has the format and the keyed hashes).
import type { TwoFactorService } from '../two-factor.service.js';
import type { SecondFactorMethod } from './method.js';

export function backupCodeMethod(twoFactor: TwoFactorService): SecondFactorMethod<string, { method: 'backup_code'; backupCodesLeft: number }> {
  return {
    name: 'backup_code',
    refusal: 'invalid_code',
    offered: async (userId) => (await twoFactor.status(userId)).backupCodesLeft > 0,
    verify: (user, code, address) => twoFactor.verifyBackupCode(user, code, address),
    // RFC 8176 has no word of its own for a backup code: it is a one-time password.
    amr: (_proof, withPassword) => [...(withPassword ? ['pwd'] : []), 'otp', 'mfa'],
  };
}
