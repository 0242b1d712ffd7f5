// The upstream module's public face: the only file of it that other modules and the CLI import
// (src/architecture.test.ts checks). Sign in with another OpenID Connect provider (issue 34).
export { upstreamModule, upstreamServices } from './upstream.module.js';
export { endUpstreamAccess, PROVIDER_PRESETS, resealUpstreamSecrets, UpstreamService, UPSTREAM_PASSWORD_MARK } from './upstream.service.js';
export type { NewProvider, ProviderPreset } from './upstream.service.js';
export { FLOW_MINUTES, MFA_ACR_VALUES } from './upstream-sign-in.service.js';
