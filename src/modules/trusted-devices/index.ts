// The trusted-devices module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
export { deviceCookieName, deviceTokenOf, rememberBrowser } from './device-cookie.js';
export { trustedDeviceRoutes } from './trusted-devices.routes.js';
export { TrustedDevicesService } from './trusted-devices.service.js';
export type { RecognisedBrowser } from './trusted-devices.service.js';
export { trustedDevicesModule } from './trusted-devices.module.js';
