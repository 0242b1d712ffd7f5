// The account module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else in this folder is private to it.
export { PasswordService } from './password.service.js';
export { accountModule } from './account.module.js';
