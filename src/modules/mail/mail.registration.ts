// The mail module as the app registers it (src/modules/index.ts lists every module).
import type { GatehouseModule } from '../../app-module.js';

export const mailModule: GatehouseModule = {
  name: 'mail',
  register(app, s) {
    // This instance's mail worker runs while the app does.
    app.addHook('onReady', async () => s.mail.worker.start((message, error) => app.log.warn({ err: error }, message)));
    app.addHook('onClose', async () => s.mail.worker.stop());
  },
};
