// The password-reset module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
export { mailRoutes } from './password-reset.routes.js';
export { PasswordResetService } from './password-reset.service.js';
export { passwordResetModule } from './password-reset.module.js';
