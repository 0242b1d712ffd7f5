// The settings module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else in this folder is private to it.
export { AuthSettingsPatchSchema, AuthSettingsSchema, DEFAULT_AUTH_SETTINGS } from './auth-settings.js';
export type { AuthSettings, AuthSettingsPatch, Require2fa } from './auth-settings.js';
export { loadPepper, resealPepper } from './pepper.js';
export { SettingsService } from './settings.service.js';
