// The webauthn module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
export { deleteAllCredentials, hasCredentials, usersWithCredentials } from './webauthn.repository.js';
export { AuthenticationResponseSchema, KeyNameSchema, RegistrationResponseSchema, SecurityKeySchema } from './webauthn.schemas.js';
export { WebauthnService } from './webauthn.service.js';
export type { KeyAssertion } from './webauthn.service.js';
