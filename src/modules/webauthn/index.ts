// The webauthn module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else here is private; a repository function named here takes the caller's db or
// transaction, so a change that spans modules still commits as one.
export { deleteAllCredentials, hasCredentials, usersWithCredentials } from './webauthn.repository.js';
export { AuthenticationResponseSchema, KeyNameSchema, RegistrationResponseSchema, SecurityKeySchema } from './webauthn.schemas.js';
export { WebauthnService } from './webauthn.service.js';
export type { KeyAssertion } from './webauthn.service.js';
