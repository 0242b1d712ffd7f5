// The account module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
export { accountRoutes } from './account.routes.js';
export { PasswordService } from './password.service.js';
export { accountModule } from './account.module.js';
