// The passwords module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
export { createPasswordHasher } from './password-hasher.js';
export type { Argon2Params, PasswordHasher } from './password-hasher.js';
export { PASSWORD_MAX_LENGTH, assertStrongPassword } from './password-policy.js';
