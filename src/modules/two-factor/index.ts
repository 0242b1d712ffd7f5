// The two-factor module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
export { RequireTwoFactorPolicy } from './require-2fa.service.js';
export { webauthnRoutes } from './security-keys.routes.js';
export { SessionDecider } from './session-decision.js';
export { listSecretCiphertexts, updateSecretCiphertext, usersWithTwoFactor } from './two-factor.repository.js';
export { BackupCodesSchema, CodeSchema } from './two-factor.schemas.js';
export { TwoFactorService } from './two-factor.service.js';
export type { SecondFactorResult } from './two-factor.service.js';
export { SecondStepService } from './second-step.service.js';
export type { SecondStep, SecondStepPurpose } from './second-step.service.js';
export type { SecondFactorMethod, SecondFactorName } from './methods/method.js';
export { twoFactorModule } from './two-factor.module.js';
