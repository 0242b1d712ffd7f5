// The forward-auth module as the app registers it (src/modules/index.ts lists every module).
import type { GatehouseModule } from '../../app-module.js';
import { verifyRoutes } from './verify.routes.js';
import { throttleRedirectRefusals } from './redirect-refusals.js';

export const forwardAuthModule: GatehouseModule = {
  name: 'forward-auth',
  register(app, s) {
    verifyRoutes(app, {
      publicUrl: s.config.publicUrl,
      allowedRedirectHosts: s.config.allowedRedirectHosts,
      trustProxy: s.config.trustProxy,
      sessions: s.sessions,
      access: s.accessPolicy,
      audit: throttleRedirectRefusals(s.audit, s.clock),
    });
  },
};
