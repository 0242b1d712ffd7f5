// Password and account security as an overview with a view per area (issue 29), and step-up on
// every action of those views, in a real Chromium, in English and Spanish. The app listens on a
// real port with a clock the test moves: past the 10-minute step-up window before each action, so
// every action starts from a session that has not stepped up and must ask in the one dialog.
// Labels come from the locale files (the words are theirs; which control shows them is tested here).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumSkip, launchChromium } from '../../src/test-support/browser.js';
import { skipUnless } from '../../src/test-support/databases.js';
import { STRONG_PASSWORD, seedUser, startTestApp, type TestApp } from '../../src/test-support/harness.js';
import { freePort, HttpClient } from '../../src/test-support/processes.js';
import { phoneCode } from '../../src/test-support/authenticator.js';
import { WEB_DIST } from '../../src/app.js';
import { STEP_UP_WINDOW_MS } from '../../src/modules/sessions/session-policy.js';
import en from '../../web/src/locales/en.json' with { type: 'json' };
import es from '../../web/src/locales/es.json' with { type: 'json' };

const skip = chromiumSkip ?? skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)');
const LOCALES = { en, es } as const;
type Lang = keyof typeof LOCALES;
const NEW_PASSWORD = 'another-horse-battery-staple-43';

/** The overview's areas: the row's title, its action's name, the view's address and a heading on it. */
function areas(L: (typeof LOCALES)[Lang]) {
  const manage = (title: string) => `${L.overview.manage}: ${title}`;
  return [
    { action: `${L.overview.edit}: ${L.overview.name}`, path: '/account/profile', heading: L.overview.name },
    { action: `${L.emailChange.change}: ${L.emailChange.title}`, path: '/account/security/email', heading: L.emailChange.title },
    { action: manage(L.account.twoFactor), path: '/account/security/two-factor', heading: L.account.twoFactor },
    { action: manage(L.keys.title), path: '/account/security/keys', heading: L.keys.title },
    { action: L.account.changePassword, path: '/account/security/password', heading: L.account.changePassword },
    { action: manage(L.overview.devices), path: '/account/security/devices', heading: L.devices.title },
    { action: manage(L.granted.title), path: '/account/security/applications', heading: L.granted.title },
    { action: `${L.overview.view}: ${L.account.groups}`, path: '/account/security/groups', heading: L.account.groups },
    { action: `${L.overview.view}: ${L.account.events}`, path: '/account/security/activity', heading: L.account.events },
  ];
}

describe('Password and account security: overview, views, step-up on every action (Chromium)', { skip }, () => {
  let test: TestApp;
  let baseUrl = '';
  let browser: Browser;
  /** How far the app's clock is ahead of the real one (the browser keeps cookies by the real date). */
  let offset = 0;
  const now = () => Date.now() + offset;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-security-views-'));
  const keys = new Map<string, string>();

  before(async () => {
    const port = await freePort();
    // localhost, not 127.0.0.1: a valid relying-party ID for the security key.
    baseUrl = `http://localhost:${port}`;
    test = await startTestApp({ url: `sqlite:${path.join(dir, 'gatehouse.db')}`, clock: now, env: { GATEHOUSE_PUBLIC_URL: baseUrl } });
    await test.app.listen({ port, host: '127.0.0.1' });
    for (const lang of Object.keys(LOCALES)) {
      // Each account's language is its own (the UI adopts it on load, whatever the browser's).
      const language = lang as 'en' | 'es';
      await test.s.users.setLocale((await seedUser(test.s, `names-${lang}@example.com`)).id, language);
      await test.s.users.setLocale((await seedUser(test.s, `admin-${lang}@example.com`, 'admin')).id, language);
      for (const who of ['views', 'step-up']) {
        const email = `${who}-${lang}@example.com`;
        await test.s.users.setLocale((await seedUser(test.s, email)).id, language);
        // 2FA on over the API, as its owner would; a second session signs in (and trusts its browser).
        const owner = new HttpClient(baseUrl);
        assert.equal((await owner.post('/api/session', { email, password: STRONG_PASSWORD })).status, 200);
        assert.equal((await owner.stepUp(STRONG_PASSWORD)).status, 204);
        const setup = await owner.post('/api/me/2fa/setup');
        assert.equal((await owner.post('/api/me/2fa/enable', { code: phoneCode(setup.body.key, now()) })).status, 200);
        keys.set(email, setup.body.key as string);
      }
    }
    browser = await launchChromium([`--host-resolver-rules=MAP localhost 127.0.0.1`]);
  });

  after(async () => {
    await browser?.close();
    await test?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The phone's code in a step of its own: the app's clock moves on a step first (a step is taken once). */
  const code = (email: string) => {
    offset += 30_000;
    return phoneCode(keys.get(email)!, now());
  };

  /** Moves the app's clock past the step-up window: the next sensitive action must ask again. */
  const pastStepUpWindow = () => {
    offset += STEP_UP_WINDOW_MS + 60_000;
  };

  async function signedInPage(lang: Lang, email: string, viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; page: Page }> {
    const L = LOCALES[lang];
    const context = await browser.newContext({ locale: lang === 'es' ? 'es-ES' : 'en-US', viewport });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${baseUrl}/sign-in`);
    await page.getByLabel(L.signIn.email).fill(email);
    await page.getByLabel(L.signIn.password, { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: L.signIn.submit, exact: true }).click();
    if (keys.has(email)) {
      await page.getByLabel(L.signIn.code).fill(code(email));
      await page.getByRole('button', { name: L.signIn.verify }).click();
    }
    await page.getByRole('tab', { name: L.account.securityTab }).waitFor();
    return { context, page };
  }

  for (const lang of Object.keys(LOCALES) as Lang[]) {
    const L = LOCALES[lang];

    it(`${lang}: the overview fits in 1.5 screens at 390×844 and 1280×800; every area opens on its own address, with a way back`, async (t) => {
      const email = `views-${lang}@example.com`;
      // Something in each list: another signed-in device, a group.
      const other = new HttpClient(baseUrl);
      await other.post('/api/session', { email, password: STRONG_PASSWORD });
      await other.post('/api/session/second-factor', { code: code(email) });
      const group = await test.s.groups.create(`family-${lang}`, 'cli', null);
      await test.s.groups.addMember(group.id, (await test.s.users.findByEmail(email))!.id, 'cli', null);

      for (const viewport of [
        { width: 390, height: 844 },
        { width: 1280, height: 800 },
      ]) {
        const { context, page } = await signedInPage(lang, email, viewport);
        await page.getByText(L.account.codesLeft_other.replace('{{count}}', '10')).waitFor();
        await page.getByText(`family-${lang}`).waitFor();
        await page.waitForLoadState('networkidle');
        const height = await page.evaluate(() => document.documentElement.scrollHeight);
        t.diagnostic(`the overview at ${viewport.width}×${viewport.height}: ${height} px`);
        assert.ok(height <= viewport.height * 1.5, `the overview is ${height} px high at ${viewport.width}×${viewport.height}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `no horizontal scrolling (${overflow} px)`);

        for (const area of areas(L)) {
          await page.getByRole('link', { name: area.action, exact: true }).click();
          await page.getByRole('heading', { name: area.heading, exact: true }).waitFor();
          assert.equal(new URL(page.url()).pathname, area.path);
          await page.getByRole('link', { name: `← ${L.overview.back}` }).click();
          await page.getByRole('link', { name: area.action, exact: true }).waitFor();
          assert.equal(new URL(page.url()).pathname, '/account');
          // The address itself opens the view (the server serves the UI there).
          const loaded = await page.goto(`${baseUrl}${area.path}`);
          assert.equal(loaded?.status(), 200);
          await page.getByRole('heading', { name: area.heading, exact: true }).waitFor();
          await page.goBack();
        }
        await context.close();
      }
      // Without 2FA the row's action is the long Enable two-factor authentication button: it fits too.
      const phone = await signedInPage(lang, `names-${lang}@example.com`, { width: 390, height: 844 });
      await phone.page.getByRole('button', { name: L.account.enable2fa }).waitFor();
      assert.ok(await phone.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling without 2FA');
      assert.ok(await phone.page.evaluate(() => document.documentElement.scrollHeight <= 844 * 1.5));
      await phone.context.close();
    });

    it(`${lang}: each step-up action of the security views asks in the dialog after the window closed, then succeeds`, async () => {
      const email = `step-up-${lang}@example.com`;
      // Another session, on another (trusted) browser: one to sign out, one to stop trusting.
      const other = new HttpClient(baseUrl);
      await other.post('/api/session', { email, password: STRONG_PASSWORD });
      assert.equal((await other.post('/api/session/second-factor', { code: code(email) })).status, 200);
      const { context, page } = await signedInPage(lang, email);
      const user = (await test.s.users.findByEmail(email))!;
      const cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: {
          protocol: 'ctap2',
          transport: 'internal',
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: true,
          automaticPresenceSimulation: true,
        },
      });
      let password = STRONG_PASSWORD;
      let asked = 0;
      page.on('response', (r) => {
        if (r.url().endsWith('/api/session/step-up') && r.status() === 204) asked++;
      });
      const dialog = page.getByRole('dialog', { name: L.stepUp.title });
      /** The dialog is open: the password and a code (unless one is offered), Confirm; it closes. */
      const stepUp = async () => {
        await dialog.waitFor();
        await dialog.getByLabel(L.stepUp.password).fill(password);
        const field = dialog.getByLabel(L.stepUp.code);
        if (!(await field.inputValue())) await field.fill(code(email));
        await dialog.getByRole('button', { name: L.stepUp.confirm }).click();
        await dialog.waitFor({ state: 'detached' });
      };
      const open = async (path: string) => {
        await page.goto(`${baseUrl}${path}`);
        await page.getByRole('link', { name: `← ${L.overview.back}` }).waitFor();
        pastStepUpWindow();
      };

      // Add a security key (the first one on an account with the app: no backup codes this time).
      await open('/account/security/keys');
      await page.getByRole('button', { name: L.keys.add }).click();
      await page.getByLabel(L.keys.name).fill('Laptop');
      await page.getByRole('button', { name: L.keys.register }).click();
      await stepUp();
      await page.getByText('Laptop').waitFor();
      assert.equal(asked, 1);

      // Remove it (after the browser's "Remove the key …?").
      await open('/account/security/keys');
      page.once('dialog', (d) => void d.accept());
      await page.getByRole('button', { name: L.keys.remove }).click();
      await stepUp();
      await page.getByText(L.keys.none).waitFor();
      assert.equal(asked, 2);

      // Sign out another device.
      await open('/account/security/devices');
      const sessions = async () => (await test.s.sessions.listFor(user.id)).length;
      const before = await sessions();
      const devices = page.getByRole('list', { name: L.devices.title });
      await devices
        .getByRole('button', { name: new RegExp(`^${L.devices.signOut}: `) })
        .first()
        .click();
      await stepUp();
      await page.getByRole('status').filter({ hasText: L.devices.signedOutOne }).waitFor();
      assert.equal(await sessions(), before - 1, 'that session ended');
      assert.equal(asked, 3);

      // Stop trusting another browser.
      await open('/account/security/devices');
      const trusted = page.getByRole('region', { name: L.trustedDevices.title }).getByRole('listitem');
      await trusted.first().waitFor();
      const trustedBefore = await trusted.count();
      assert.ok(trustedBefore >= 2, 'this browser and the other one');
      await trusted
        .filter({ hasNotText: `(${L.trustedDevices.current})` })
        .first()
        .getByRole('button', { name: L.trustedDevices.revoke })
        .click();
      await stepUp();
      await trusted.nth(trustedBefore - 1).waitFor({ state: 'detached' });
      assert.equal(await trusted.count(), trustedBefore - 1);
      assert.equal(asked, 4);

      // Sign out everywhere else (one session other than this one is left).
      await open('/account/security/devices');
      await page.getByRole('button', { name: L.devices.signOutOthers }).click();
      await stepUp();
      await page.getByRole('status').filter({ hasText: L.devices.signedOutOthers }).waitFor();
      assert.equal(await sessions(), 1, 'this session alone');
      assert.equal(asked, 5);

      // Generate new codes: the app code typed inline is offered in the dialog.
      await open('/account/security/two-factor');
      await page.getByRole('button', { name: L.account.generateNew }).click();
      await page.getByLabel(L.account.appCodeForNew, { exact: true }).fill(code(email));
      await page.getByRole('button', { name: L.account.generate, exact: true }).click();
      await stepUp();
      await page.getByRole('list', { name: L.codes.title }).waitFor();
      await page.getByRole('button', { name: L.codes.copy, exact: true }).click();
      await page.getByRole('button', { name: L.codes.confirm }).click();
      assert.equal(asked, 6);

      // Change the password.
      await open('/account/security/password');
      await page.getByLabel(L.account.currentPassword).fill(password);
      await page.getByLabel(L.account.newPassword).fill(NEW_PASSWORD);
      await page.getByRole('button', { name: L.account.savePassword }).click();
      await stepUp();
      await page.getByRole('status').filter({ hasText: L.account.passwordChanged }).waitFor();
      password = NEW_PASSWORD;
      assert.equal(asked, 7);

      // Disable 2FA (last: the dialog asks a code only while it is on).
      await open('/account/security/two-factor');
      await page.getByRole('button', { name: L.account.disable }).click();
      await page.getByLabel(L.account.passwordToDisable, { exact: true }).fill(password);
      await page.getByRole('button', { name: L.account.confirmDisable, exact: true }).click();
      await stepUp();
      await page.getByRole('status').filter({ hasText: L.account.twoFactorOff }).waitFor();
      assert.equal(asked, 8);
      await context.close();
    });

    it(`${lang}: the owner names the account on its page (the header shows it); an administrator renames it on Users after a step-up, email beside it`, async () => {
      const email = `names-${lang}@example.com`;
      const { context, page } = await signedInPage(lang, email);
      await page.getByText(L.overview.noName).waitFor();
      await page.getByRole('link', { name: `${L.overview.edit}: ${L.overview.name}` }).click();
      await page.getByLabel(L.profile.displayName).fill('  Jose\u0301  ');
      await page.getByLabel(L.profile.givenName).fill('José Luis');
      await page.getByLabel(L.profile.familyName).fill('Núñez');
      await page.getByRole('button', { name: L.profile.save }).click();
      await page.getByRole('status').filter({ hasText: L.profile.saved }).waitFor();
      const menu = page.getByRole('banner').getByRole('button', { name: `${L.menu.open}: José (${email})` });
      assert.equal((await menu.textContent())?.replace(' ▾', ''), 'José', 'the header shows the name where it showed the email');
      await page.getByRole('link', { name: `← ${L.overview.back}` }).click();
      await page.getByText('José', { exact: true }).waitFor();
      // Too long: the server's refusal, in the page's language.
      await page.getByRole('link', { name: `${L.overview.edit}: ${L.overview.name}` }).click();
      await page.getByLabel(L.profile.displayName).fill('a'.repeat(101));
      await page.getByRole('button', { name: L.profile.save }).click();
      await page.getByRole('alert').waitFor();
      assert.equal((await test.s.users.profileOf((await test.s.users.findByEmail(email))!.id)).displayName, 'José');
      await context.close();

      const admin = await signedInPage(lang, `admin-${lang}@example.com`);
      await admin.page.goto(`${baseUrl}/admin/users`);
      const row = admin.page.locator(`[data-user="${email}"]:visible`);
      await row.getByText('José', { exact: true }).waitFor();
      await row.getByText(email).waitFor();
      await row.getByRole('button', { name: L.users.menu.replace('{{email}}', email) }).click();
      await admin.page.getByRole('menuitem', { name: L.users.editName }).click();
      await admin.page.getByLabel(L.profile.displayName).fill('Pepe');
      await admin.page.getByRole('button', { name: L.profile.save }).click();
      const dialog = admin.page.getByRole('dialog', { name: L.stepUp.title });
      await dialog.getByLabel(L.stepUp.password).fill(STRONG_PASSWORD);
      await dialog.getByRole('button', { name: L.stepUp.confirm }).click();
      await admin.page
        .getByRole('status')
        .filter({ hasText: L.users.nameSaved.replace('{{email}}', email) })
        .waitFor();
      await row.getByText('Pepe', { exact: true }).waitFor();
      await row.getByText(email).waitFor();
      await admin.page.goto(`${baseUrl}/admin/audit`);
      await admin.page
        .getByText(L.audit.kinds.user_profile_changed.other.replace('{{actor}}', `admin-${lang}@example.com`).replace('{{subject}}', email))
        .first()
        .waitFor();
      await admin.context.close();
    });
  }
});
