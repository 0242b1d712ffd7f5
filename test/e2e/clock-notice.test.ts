// The administrators' clock notice in a real Chromium: three app instances on one SQLite file,
// each with its own injected clock, the browser talking to one of them over a real socket.
// The notice names the instance that is off, goes once it is corrected, and, for a lone
// instance whose phones all see it ahead, speaks of "this server", in English and Spanish.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { chromiumSkip, launchChromium } from '../../src/test-support/browser.js';
import { DIALECTS, skipUnless, type TestDatabase } from '../../src/test-support/databases.js';
import { Client, STRONG_PASSWORD, seedUser, startTestApp, type TestApp } from '../../src/test-support/harness.js';
import { freePort, realClock } from '../../src/test-support/processes.js';
import { phoneCode } from '../../src/test-support/authenticator.js';
import { HEARTBEAT_MS } from '../../src/modules/clock-health/index.js';
import { WEB_DIST } from '../../src/app.js';

const skip = chromiumSkip ?? skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)');

describe('clock notice in Chromium', { skip }, () => {
  // A fake clock in the future: the browser keeps a cookie whose expiry the server computed from it.
  // The browser keeps cookies by the real date, so the fake clock starts there (and moves on its own).
  let fakeNow = realClock();
  const skew = { a: 0, b: 45_000 };
  let database: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let c: TestApp;
  let baseUrl = '';
  let browser: Browser;
  let page: Page;

  before(async () => {
    database = await DIALECTS[0]!.create();
    const masterKey = randomBytes(32);
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    a = await startTestApp({
      url: database.url,
      masterKey,
      clock: () => fakeNow + skew.a,
      env: { GATEHOUSE_PORT: String(port), GATEHOUSE_PUBLIC_URL: baseUrl },
    });
    b = await startTestApp({ url: database.url, masterKey, clock: () => fakeNow + skew.b, env: { GATEHOUSE_PORT: '3002' } });
    c = await startTestApp({ url: database.url, masterKey, clock: () => fakeNow, env: { GATEHOUSE_PORT: '3003' } });
    await a.app.listen({ host: '127.0.0.1', port });
    await seedUser(a.s, 'admin@example.com', 'admin');
    browser = await launchChromium();
    page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    page.setDefaultTimeout(10_000);
  });
  after(async () => {
    await browser?.close();
    for (const app of [a, b, c]) await app?.close();
    await database?.drop();
  });

  async function heartbeats(...apps: TestApp[]) {
    fakeNow += HEARTBEAT_MS;
    for (const app of [...apps, ...apps]) await app.app.clockHealth.refresh();
  }

  const notice = () => page.locator('.clock-notice');

  it('names the instance that is off on Authentication settings and Users, and goes once it is corrected', async () => {
    await heartbeats(a, b, c);
    await page.goto(`${baseUrl}/sign-in`);
    await page.getByLabel('Email').fill('admin@example.com');
    await page.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/account/);

    for (const where of ['/admin/settings', '/admin/users']) {
      await page.goto(`${baseUrl}${where}`);
      await notice().waitFor();
      const text = await notice().innerText();
      assert.match(
        text,
        /^The clock of instance [^ ]+:3002 seems about 45 s ahead: codes from phones may fail on it\. Correct the time on that server \(NTP\)\.$/,
        text,
      );
      assert.equal(await notice().count(), 1, 'only the instance that is off');
    }

    skew.b = 0;
    await heartbeats(a, b, c);
    await page.reload();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.waitForLoadState('networkidle');
    assert.equal(await notice().count(), 0, 'corrected: no notice');
  });

  it('speaks of this server when it runs alone and the phones see it ahead, in English and Spanish', async () => {
    await b.app.clockHealth.stop();
    await c.app.clockHealth.stop();
    skew.a = 45_000;
    // Five people turn on 2FA with phones whose clocks are right, 6 s apart from 3 s into a TOTP
    // step. Offsets come in whole steps: a server 45 s ahead sees a phone at 3 and 9 s into its
    // step one step behind, at 15, 21 and 27 s two, and the mean says 48 s. (Started wherever
    // the real clock happened to be, the mix varied from run to run between 36 and 54 s.)
    fakeNow = Math.ceil(fakeNow / 30_000) * 30_000 + 3_000;
    for (let i = 0; i < 5; i++) {
      const email = `user${i}@example.com`;
      await seedUser(a.s, email);
      const client = new Client(a.app);
      await client.signIn(email);
      await client.stepUp();
      const setup = await client.post('/api/me/2fa/setup');
      assert.equal((await client.post('/api/me/2fa/enable', { code: phoneCode(setup.body.key, fakeNow) })).status, 200);
      fakeNow += 6_000;
    }
    await heartbeats(a);
    await page.goto(`${baseUrl}/admin/settings`);
    await notice().waitFor();
    assert.match(
      await notice().innerText(),
      /^This server's clock seems about 48 s ahead: codes from phones may fail\. Correct the time on the server \(NTP\)\.$/,
    );
    await page.getByRole('button', { name: 'Es' }).click();
    await page.reload();
    await notice().filter({ hasText: 'El reloj de este servidor' }).waitFor();
    assert.match(
      await notice().innerText(),
      /^El reloj de este servidor parece ir unos 48 s adelantado: los códigos de los teléfonos pueden fallar\. Corrige la hora del servidor \(NTP\)\.$/,
    );
  });
});
