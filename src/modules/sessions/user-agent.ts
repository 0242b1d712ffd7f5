// Pure: a browser and a system, for people, from a User-Agent header ("Chrome 131", "Linux").
// The one place both "Your devices" (sessions) and "Trusted devices" name a browser, so the two
// lists say the same for the same browser. The parsing is ua-parser-js 1.x (MIT, maintained, its
// rules follow new browsers); 2.x is AGPL, so package.json keeps it at ^1.
import { UAParser } from 'ua-parser-js';

/** ua-parser-js's names where people know a shorter one (a headless or mobile build is the same browser). */
const BROWSER_NAMES: Record<string, string> = {
  'Chrome Headless': 'Chrome',
  'Chrome WebView': 'Chrome',
  'Mobile Safari': 'Safari',
  'Mobile Firefox': 'Firefox',
};
const SYSTEM_NAMES: Record<string, string> = { 'Mac OS': 'macOS', 'Chromium OS': 'ChromeOS', 'Chrome OS': 'ChromeOS' };

/** Command-line clients ua-parser-js leaves nameless (API scripts sign in too). */
const EXTENSIONS = { browser: [[/^(curl|Wget)\/(\d+)/i], [UAParser.BROWSER.NAME, UAParser.BROWSER.VERSION]] };

export interface DescribedUserAgent {
  /** E.g. "Firefox 133"; null when unknown. */
  browser: string | null;
  /** E.g. "Windows"; null when unknown. */
  system: string | null;
}

export function describeUserAgent(userAgent: string | null): DescribedUserAgent {
  if (!userAgent) return { browser: null, system: null };
  const { browser, os } = new UAParser(userAgent, EXTENSIONS).getResult();
  const name = browser.name ? (BROWSER_NAMES[browser.name] ?? browser.name) : null;
  const major = browser.version?.split('.')[0];
  return {
    browser: name ? (major ? `${name} ${major}` : name) : null,
    system: os.name ? (SYSTEM_NAMES[os.name] ?? os.name) : null,
  };
}
