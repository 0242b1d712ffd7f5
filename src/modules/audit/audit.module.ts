// The audit module as the app registers it (src/modules/index.ts lists every module).
import type { GatehouseModule } from '../../app-module.js';
import { auditRoutes } from './audit.routes.js';

export const auditModule: GatehouseModule = {
  name: 'audit',
  register(app, s) {
    auditRoutes(app, s);
  },
};
