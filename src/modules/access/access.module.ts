// The access module as the app registers it (src/modules/index.ts lists every module).
import type { GatehouseModule } from '../../app-module.js';
import { accessRoutes } from './access.routes.js';

export const accessModule: GatehouseModule = {
  name: 'access',
  register(app, s) {
    accessRoutes(app, s);
  },
};
