// The directory module as the app registers it (src/modules/index.ts lists every module): with
// GATEHOUSE_LDAP_URL set, the periodic sync (GATEHOUSE_LDAP_SYNC_INTERVAL) on this instance, and
// the pool's connections closed with the app. It has no routes: sign-in, /healthz and the admin
// API reach the directory through the services they already have.
import type { GatehouseModule } from '../../app-module.js';
import { DirectorySync, startPeriodicSync } from './directory-sync.service.js';

export const directoryModule: GatehouseModule = {
  name: 'directory',
  register(app, s) {
    const directory = s.directory;
    if (!directory) return;
    const interval = directory.client.config.syncIntervalSeconds;
    const stop = interval > 0 ? startPeriodicSync(new DirectorySync({ db: s.db, directory, users: s.users }), interval, app.log) : () => {};
    app.addHook('onClose', async () => {
      stop();
      await directory.close();
    });
  },
};
