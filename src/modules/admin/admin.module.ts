// The admin module as the app registers it (src/modules/index.ts lists every module).
import type { GatehouseModule } from '../../app-module.js';
import { adminUserRoutes } from './admin-users.routes.js';
import { deleteUserRoutes } from './delete-user.routes.js';
import { settingsRoutes } from './settings.routes.js';

export const adminModule: GatehouseModule = {
  name: 'admin',
  register(app, s) {
    adminUserRoutes(app, s);
    deleteUserRoutes(app, s);
    settingsRoutes(app, s);
  },
};
