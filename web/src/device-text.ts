// How both device lists ("Your devices", "Trusted devices") name a browser: the server parses the
// User-Agent once (src/modules/sessions/user-agent.ts); this only puts it in a sentence.
import type { TFunction } from 'i18next';

export function browserOnSystem(t: TFunction, device: { browser?: string | null; system?: string | null }): string {
  const browser = device.browser ?? t('devices.unknownBrowser');
  return device.system ? t('devices.on', { browser, system: device.system }) : browser;
}
