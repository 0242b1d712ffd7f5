// The clock-health module as the app registers it (src/modules/index.ts lists every module).
import type { GatehouseModule } from '../../app-module.js';
import { registerClockHealth } from './clock-health.routes.js';

export const clockHealthModule: GatehouseModule = {
  name: 'clock-health',
  register(app, s) {
    const clockHealth = registerClockHealth(app, { ...s, acceptedCodes: (sinceStep, limit) => s.twoFactor.recentAcceptedCodes(sinceStep, limit) });
    // The sign-in's second step asks the witness whether a refused code is the server's fault.
    s.clockWitness.attach(clockHealth);
  },
};
