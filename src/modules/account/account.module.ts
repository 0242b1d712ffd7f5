// The account module as the app registers it (src/modules/index.ts lists every module).
import type { GatehouseModule } from '../../app-module.js';
import { accountRoutes } from './account.routes.js';
import { deleteAccountRoutes } from './delete-account.routes.js';
import { localeRoutes } from './locale.routes.js';
import { profileRoutes } from './profile.routes.js';

export const accountModule: GatehouseModule = {
  name: 'account',
  register(app, s) {
    accountRoutes(app, s);
    localeRoutes(app, s);
    profileRoutes(app, s);
    deleteAccountRoutes(app, s);
  },
};
