// The oidc module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else in this folder is private to it.
export { ClientsService, secretAad } from './clients.service.js';
export { GrantsService } from './grants.service.js';
export { InteractionsService } from './interactions.service.js';
export { OidcService } from './oidc.service.js';
export { resealOidcSecrets } from './signing-keys.js';
export { oidcModule } from './oidc.module.js';
export { revokeAllGrantsOf } from './oidc.repository.js';
