// The password-reset module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else in this folder is private to it.
export { PasswordResetService } from './password-reset.service.js';
export { passwordResetModule } from './password-reset.module.js';
// Links mailed to an address the account no longer has stop working (an email change, its undo).
export { spendAllResetTokens } from './password-reset.repository.js';
