// The admin module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
export { adminUserRoutes } from './admin-users.routes.js';
export { settingsRoutes } from './settings.routes.js';
export { adminModule } from './admin.module.js';
