// The step-up module as the app registers it (src/modules/index.ts lists every module).
import type { GatehouseModule } from '../../app-module.js';
import { stepUpRoutes } from './step-up.routes.js';

export const stepUpModule: GatehouseModule = {
  name: 'step-up',
  register(app, s) {
    stepUpRoutes(app, s);
  },
};
