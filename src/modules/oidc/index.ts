// The oidc module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
export { ClientsService, secretAad } from './clients.service.js';
export { GrantsService } from './grants.service.js';
export { InteractionsService } from './interactions.service.js';
export { oidcRoutes } from './oidc.routes.js';
export { OidcService } from './oidc.service.js';
export { resealOidcSecrets } from './signing-keys.js';
export { oidcModule } from './oidc.module.js';
