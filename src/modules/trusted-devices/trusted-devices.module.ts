// The trusted-devices module as the app registers it (src/modules/index.ts lists every module).
import type { GatehouseModule } from '../../app-module.js';
import { trustedDeviceRoutes } from './trusted-devices.routes.js';

export const trustedDevicesModule: GatehouseModule = {
  name: 'trusted-devices',
  register(app, s) {
    trustedDeviceRoutes(app, s);
  },
};
