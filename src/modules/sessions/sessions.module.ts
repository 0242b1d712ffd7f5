// The sessions module as the app registers it (src/modules/index.ts lists every module).
import type { GatehouseModule } from '../../app-module.js';
import { sessionRoutes } from './session.routes.js';
import { deviceRoutes } from './devices.routes.js';

export const sessionsModule: GatehouseModule = {
  name: 'sessions',
  register(app, s) {
    sessionRoutes(app, s);
    deviceRoutes(app, s);
  },
};
