// The sign-in module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else in this folder is private to it.
export { SignInService } from './sign-in.service.js';
export { signInModule } from './sign-in.module.js';
