// The onboarding module as the app registers it (src/modules/index.ts lists every module).
import type { GatehouseModule } from '../../app-module.js';
import { onboardingRoutes } from './onboarding.routes.js';

export const onboardingModule: GatehouseModule = {
  name: 'onboarding',
  register(app, s) {
    onboardingRoutes(app, {
      setup: s.setup,
      invitations: s.invitations,
      registrations: s.registrations,
      sessions: s.sessions,
      devices: s.devices,
      policy: s.policy,
      signinRateLimit: s.config.signinRateLimit,
      smtpConfigured: s.mail.smtpConfigured,
    });
  },
};
