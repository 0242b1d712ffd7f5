// The sign-in module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
export { webauthnSignInRoutes } from './security-key-sign-in.routes.js';
export { signInRoutes } from './sign-in.routes.js';
export { SignInService } from './sign-in.service.js';
export { signInModule } from './sign-in.module.js';
