// The two-factor module as the app registers it (src/modules/index.ts lists every module).
import type { GatehouseModule } from '../../app-module.js';
import { webauthnRoutes } from './security-keys.routes.js';
import { twoFactorRoutes } from './two-factor.routes.js';

export const twoFactorModule: GatehouseModule = {
  name: 'two-factor',
  register(app, s) {
    twoFactorRoutes(app, s);
    webauthnRoutes(app, s);
  },
};
