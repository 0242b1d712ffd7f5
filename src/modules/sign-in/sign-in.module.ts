// The sign-in module as the app registers it (src/modules/index.ts lists every module).
import type { GatehouseModule } from '../../app-module.js';
import { signInRoutes } from './sign-in.routes.js';
import { webauthnSignInRoutes } from './security-key-sign-in.routes.js';

export const signInModule: GatehouseModule = {
  name: 'sign-in',
  register(app, s) {
    signInRoutes(app, {
      signIn: s.signIn,
      sessions: s.sessions,
      devices: s.devices,
      signinRateLimit: s.config.signinRateLimit,
      directoryLogins: s.directory !== null,
    });
    webauthnSignInRoutes(app, {
      signIn: s.signIn,
      sessions: s.sessions,
      devices: s.devices,
      users: s.users,
      webauthn: s.webauthn,
      twoFactor: s.twoFactor,
      audit: s.audit,
      signinRateLimit: s.config.signinRateLimit,
    });
  },
};
