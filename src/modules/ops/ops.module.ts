// The ops module as the app registers it (src/modules/index.ts lists every module).
import type { GatehouseModule } from '../../app-module.js';
import { opsRoutes } from './ops.routes.js';

export const opsModule: GatehouseModule = {
  name: 'ops',
  register(app, s) {
    // /healthz reports the clock estimate that the clock-health module (registered before) decorates the app with.
    opsRoutes(app, { db: s.db, metrics: s.metrics, clockHealth: app.clockHealth, directory: s.directory });
  },
};
