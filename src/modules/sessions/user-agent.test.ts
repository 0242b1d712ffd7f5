// The browser and system both device lists show, from real User-Agent strings (issue 29: Chrome on
// Linux read "Unknown browser on Linux").
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeUserAgent } from './user-agent.js';

const CASES: Array<[userAgent: string | null, browser: string | null, system: string | null]> = [
  ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome 131', 'Linux'],
  // What Playwright's Chromium (and any headless Chrome) sends.
  ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.33 Safari/537.36', 'Chrome 131', 'Linux'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox 133', 'Windows'],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    'Safari 18',
    'iOS',
  ],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70', 'Edge 131', 'Windows'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15', 'Safari 18', 'macOS'],
  ['Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome 131', 'ChromeOS'],
  ['curl/8.5.0', 'curl 8', null],
  ['something-else/1.0', null, null],
  ['', null, null],
  [null, null, null],
];

describe('describeUserAgent', () => {
  for (const [userAgent, browser, system] of CASES) {
    it(`${browser ?? 'unknown'} on ${system ?? 'unknown'}: ${String(userAgent).slice(0, 60)}`, () => {
      assert.deepEqual(describeUserAgent(userAgent), { browser, system });
    });
  }
});
