// The password-reset module as the app registers it (src/modules/index.ts lists every module).
import type { GatehouseModule } from '../../app-module.js';
import { passwordResetRoutes } from './password-reset.routes.js';

export const passwordResetModule: GatehouseModule = {
  name: 'password-reset',
  register(app, s) {
    passwordResetRoutes(app, { resets: s.resets, sessions: s.sessions, devices: s.devices, policy: s.policy, signinRateLimit: s.config.signinRateLimit });
  },
};
