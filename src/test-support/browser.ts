// Debian's Chromium driven by playwright-core (never a downloaded browser), headless, with the
// network features off that this machine's closed network would refuse.
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { skipUnless } from './databases.js';

export const CHROMIUM = '/usr/bin/chromium';

export const chromiumSkip = skipUnless(fs.existsSync(CHROMIUM), `Chromium: ${CHROMIUM} is missing (apt-get install chromium)`);

/** extraArgs: e.g. --host-resolver-rules, so tests can give loopback servers real host names. */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', ...extraArgs],
  });
}
