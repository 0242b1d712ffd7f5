// The settings module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
export { AuthSettingsPatchSchema, AuthSettingsSchema, DEFAULT_AUTH_SETTINGS } from './auth-settings.js';
export type { AuthSettingsPatch, Require2fa } from './auth-settings.js';
export { loadPepper, resealPepper } from './pepper.js';
export { SettingsService } from './settings.service.js';
