// The two-factor module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else here is private; a repository function named here takes the caller's db or
// transaction, so a change that spans modules still commits as one.
export { RequireTwoFactorPolicy } from './require-2fa.service.js';
export { listSecretCiphertexts, updateSecretCiphertext, usersWithTwoFactor } from './two-factor.repository.js';
export { BackupCodesSchema, CodeSchema } from './two-factor.schemas.js';
export { TwoFactorService } from './two-factor.service.js';
export type { SecondFactorResult } from './two-factor.service.js';
export { SecondStepService } from './second-step.service.js';
export { twoFactorModule } from './two-factor.module.js';
export { refusedCodeError } from './two-factor.service.js';
export type { CodeRefusal } from './two-factor.service.js';
