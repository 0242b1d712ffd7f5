// The email-change module as the app registers it (src/modules/index.ts lists every module). Nobody
// else needs its service, so it is built here from the services it uses.
import type { GatehouseModule } from '../../app-module.js';
import { emailChangeRoutes } from './email-change.routes.js';
import { EmailChangeService } from './email-change.service.js';

export const emailChangeModule: GatehouseModule = {
  name: 'email-change',
  register(app, s) {
    const changes = new EmailChangeService({ db: s.db, mail: s.mail.queue, clock: s.clock, endAccountAccess: s.endAccountAccess });
    emailChangeRoutes(app, { changes, signinRateLimit: s.config.signinRateLimit });
  },
};
