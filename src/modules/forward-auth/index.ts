// The forward-auth module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
export { throttleRedirectRefusals } from './redirect-refusals.js';
export { verifyRoutes } from './verify.routes.js';
export { forwardAuthModule } from './forward-auth.module.js';
