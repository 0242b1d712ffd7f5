// The trusted-devices module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else in this folder is private to it.
export { deviceCookieName, deviceTokenOf, rememberBrowser } from './device-cookie.js';
export { TrustedDevicesService } from './trusted-devices.service.js';
export type { RecognisedBrowser } from './trusted-devices.service.js';
export { trustedDevicesModule } from './trusted-devices.module.js';
