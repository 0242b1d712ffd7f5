// The upstream module as the app registers it (src/modules/index.ts lists every module). Nobody
// else uses its services, so it builds them here; the CLI builds the same with upstreamServices().
import type { GatehouseModule } from '../../app-module.js';
import { UpstreamService } from './upstream.service.js';
import { UpstreamSignInService } from './upstream-sign-in.service.js';
import { upstreamRoutes } from './upstream.routes.js';
import { upstreamAdminRoutes } from './upstream-admin.routes.js';

/** What the composition root hands a module (app-module.ts), without reaching for services.ts. */
type Services = Parameters<GatehouseModule['register']>[1];

export function upstreamServices(s: Services): { providers: UpstreamService; upstream: UpstreamSignInService } {
  const providers = new UpstreamService({
    db: s.db,
    secretBox: s.keys.secretBox,
    audit: s.audit,
    clock: s.clock,
    directory: s.directory !== null,
    groups: s.groups,
  });
  const upstream = new UpstreamSignInService({
    db: s.db,
    providers,
    registrations: s.registrations,
    groups: s.groups,
    notify: s.mail.notify,
    directory: s.directory,
    secretBox: s.keys.secretBox,
    audit: s.audit,
    clock: s.clock,
    callbackUrl: new URL('/api/upstream/callback', s.config.publicUrl).href,
  });
  return { providers, upstream };
}

export const upstreamModule: GatehouseModule = {
  name: 'upstream',
  register(app, s) {
    const { providers, upstream } = upstreamServices(s);
    upstreamRoutes(app, {
      providers,
      upstream,
      signIn: s.signIn,
      sessions: s.sessions,
      devices: s.devices,
      webauthn: s.webauthn,
      policy: s.policy,
      signinRateLimit: s.config.signinRateLimit,
    });
    upstreamAdminRoutes(app, { providers, notify: s.mail.notify });
  },
};
