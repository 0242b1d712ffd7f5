// The oidc module as the app registers it (src/modules/index.ts lists every module).
import type { GatehouseModule } from '../../app-module.js';
import { oidcRoutes } from './oidc.routes.js';

export const oidcModule: GatehouseModule = {
  name: 'oidc',
  async register(app, s) {
    // This instance's back-channel logout worker runs while the app does.
    app.addHook('onReady', async () => s.oidc.backchannel.start((message, error) => app.log.warn({ err: error }, message)));
    app.addHook('onClose', async () => s.oidc.backchannel.stop());
    await oidcRoutes(app, {
      oidc: s.oidc,
      interactions: s.interactions,
      clients: s.clients,
      grants: s.grants,
      sessions: s.sessions,
      devices: s.devices,
      publicUrl: s.config.publicUrl,
      signinRateLimit: s.config.signinRateLimit,
    });
  },
};
