// The passwords module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else in this folder is private to it.
export { createPasswordHasher } from './password-hasher.js';
export type { Argon2Params, PasswordHasher } from './password-hasher.js';
export { PASSWORD_MAX_LENGTH, assertStrongPassword } from './password-policy.js';
