// The whole web UI story in a real Chromium against a real server process and database:
// every label of the seed found by its accessible name, codes computed by an independent
// authenticator, the QR decoded from a screenshot, in English and Spanish.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumSkip, launchChromium } from '../../src/test-support/browser.js';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { skipUnless } from '../../src/test-support/databases.js';
import { STRONG_PASSWORD, seedUser, startTestApp } from '../../src/test-support/harness.js';
import { realClock, startServerProcess, type ServerProcess } from '../../src/test-support/processes.js';
import { phoneCode } from '../../src/test-support/authenticator.js';
import { WEB_DIST } from '../../src/app.js';

const SCREENSHOTS = process.env.GATEHOUSE_SCREENSHOTS; // a folder: save the README's screenshots there

const skip = chromiumSkip ?? skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)');

function decodeQr(png: Buffer): string | null {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data ?? null;
}

describe('web UI in Chromium', { skip }, () => {
  let server: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-e2e-'));
  const pageErrors: string[] = [];
  let key = '';
  let newbieKey = '';
  let backupCodes: string[] = [];

  before(async () => {
    const url = `sqlite:${path.join(dir, 'gatehouse.db')}`;
    const masterKey = randomBytes(32);
    const seed = await startTestApp({ url, masterKey, clock: realClock });
    await seedUser(seed.s, 'admin@example.com', 'admin');
    await seedUser(seed.s, 'ana@example.com', 'user');
    await seedUser(seed.s, 'newbie@example.com', 'user');
    await seed.close();
    server = await startServerProcess({ GATEHOUSE_DATABASE_URL: url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') });
    browser = await launchChromium();
    context = await browser.newContext({ acceptDownloads: true, locale: 'en-US', viewport: { width: 1100, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      // The browser logs every 4xx answer as a failed resource; those are the API's expected refusals.
      if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) pageErrors.push(m.text());
    });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const shot = async (name: string) => {
    if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  };

  async function signIn(email: string, password = STRONG_PASSWORD) {
    await page.goto(`${server.baseUrl}/sign-in`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function openMenu(email: string) {
    await page
      .getByRole('banner')
      .getByRole('button', { name: new RegExp(email.replace('.', '\\.')) })
      .click();
  }

  async function signOut(email: string) {
    await openMenu(email);
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  }

  it('signs in and shows a clear message for a wrong password', async () => {
    await signIn('ana@example.com', 'wrong-password-123');
    await page.getByRole('alert').filter({ hasText: 'The email or password is not correct.' }).waitFor();
    await shot('sign-in');
    await page.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('tab', { name: 'Password and account security' }).waitFor();
  });

  it('enables 2FA: QR scans to the key shown under "Can\'t scan a QR code?", then Enable', async () => {
    await openMenu('ana@example.com');
    await page.getByRole('menuitem', { name: 'Client area' }).click();
    await page.getByRole('button', { name: 'Enable two-factor authentication' }).click();
    // Enrolling needs a step-up: asked inline, then enrolment carries on by itself.
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.waitFor();
    assert.equal(await dialog.getByLabel('Code from the app or a backup code').count(), 0, 'no code while 2FA is off');
    await dialog.getByLabel('Your password').fill('wrong-password-123');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'The email or password is not correct.' }).waitFor();
    await dialog.getByLabel('Your password').fill(STRONG_PASSWORD);
    await shot('step-up');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    const qr = page.getByRole('img', { name: 'QR code for the authenticator app' });
    await qr.waitFor();
    const png = await qr.screenshot();
    const uri = decodeQr(png);
    assert.ok(uri?.startsWith('otpauth://totp/Gatehouse:ana%40example.com?'), String(uri));

    await page.getByRole('button', { name: "Can't scan a QR code?" }).click();
    await page.getByText('Account name').waitFor();
    await page.getByText('Key', { exact: true }).waitFor();
    key = (await page.locator('[data-key]').getAttribute('data-key'))!;
    assert.equal(new URL(uri!).searchParams.get('secret'), key);
    assert.equal((await page.locator('[data-key]').textContent())!.replace(/\s/g, ''), key, 'the key as shown, grouped by four');
    // A real scanner, where the machine has one, reads the same URI.
    const zbar = spawnSync('zbarimg', ['--raw', '-q', '-'], { input: png, encoding: 'utf8' });
    if (zbar.status === 0) assert.equal(zbar.stdout.trim(), uri);
    await shot('enable-2fa');

    const field = page.getByLabel('Confirmation code');
    assert.equal(await field.getAttribute('autocomplete'), 'one-time-code');
    assert.equal(await field.getAttribute('inputmode'), 'numeric');
    await field.fill(phoneCode(key, realClock()) === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Enable', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'The code is not correct.' }).waitFor();
    await field.fill(phoneCode(key, realClock()));
    await page.getByRole('button', { name: 'Enable', exact: true }).click();
    await page.getByRole('heading', { name: 'Backup codes' }).waitFor();
  });

  it('delivers exactly the 10 codes by Save to file, Copy and Print, then I confirm', async () => {
    const list = page.getByRole('list', { name: 'Backup codes' });
    backupCodes = (await list.locator('code').allTextContents()).map((c) => c.trim());
    assert.equal(backupCodes.length, 10);
    const confirm = page.getByRole('button', { name: 'I confirm that the codes are saved' });
    assert.equal(await confirm.isDisabled(), true, 'disabled until the codes were saved somehow');
    await shot('backup-codes');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Save to file' }).click()]);
    const file = fs.readFileSync((await download.path())!, 'utf8');
    assert.match(download.suggestedFilename(), /\.txt$/);
    assert.match(file, /Gatehouse backup codes for ana@example\.com/);
    assert.deepEqual(file.match(/[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}/g), backupCodes);

    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('status').filter({ hasText: 'The codes were copied.' }).waitFor();
    const clipboard = await page.evaluate(() => navigator.clipboard.readText());
    assert.deepEqual(clipboard.trim().split('\n'), backupCodes);

    await page.evaluate(() => {
      window.print = () => {}; // headless: the print dialog is replaced, the print stylesheet is what we check
    });
    await page.getByRole('button', { name: 'Print' }).click();
    await page.emulateMedia({ media: 'print' });
    const printed = await page.evaluate(() => {
      const visible: string[] = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) {
        const el = walker.currentNode.parentElement!;
        if (walker.currentNode.textContent!.trim() && getComputedStyle(el).visibility === 'visible') visible.push(walker.currentNode.textContent!.trim());
      }
      return visible;
    });
    await page.emulateMedia({ media: 'screen' });
    assert.match(
      printed[0]!,
      /^Gatehouse \(127\.0\.0\.1:\d+\) backup codes for ana@example\.com, \w{3} \d{1,2}, \d{4}$/,
      'site, account and date head the sheet',
    );
    assert.deepEqual(printed.slice(1), backupCodes, 'then the ten codes and nothing else');

    await confirm.click();
    await page.getByText('Backup codes left: 10').waitFor();
  });

  it('signs in with the app code, then with a backup code (says how many are left)', async () => {
    await signOut('ana@example.com');
    await signIn('ana@example.com');
    const code = page.getByLabel('Authentication code');
    await code.waitFor();
    assert.ok(await code.evaluate((el) => el === document.activeElement), 'focus moves to the code');
    await code.fill(phoneCode(key, realClock() + 30_000));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('tab', { name: 'Password and account security' }).waitFor();

    await signOut('ana@example.com');
    await signIn('ana@example.com');
    await page.getByLabel('Authentication code').fill(backupCodes[0]!.toUpperCase());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('You signed in with a backup code. 9 backup codes left.').waitFor();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('Backup codes left: 9').waitFor();
  });

  it('generates new codes after a code from the app', async () => {
    await page.getByRole('button', { name: 'Generate new codes' }).click();
    await page.getByLabel('Code from the app').fill(phoneCode(key, realClock() + 60_000));
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    // A new session: step up with the password and a code (here a backup code), then it carries on.
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.getByLabel('Your password').fill(STRONG_PASSWORD);
    await dialog.getByLabel('Code from the app or a backup code').fill(backupCodes[2]!);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('heading', { name: 'Backup codes' }).waitFor();
    const fresh = await page.getByRole('list', { name: 'Backup codes' }).locator('code').allTextContents();
    assert.equal(fresh.length, 10);
    assert.ok(!fresh.includes(backupCodes[1]!));
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('button', { name: 'I confirm that the codes are saved' }).click();
    await page.getByText('Backup codes left: 10').waitFor();
    await page.getByRole('button', { name: 'Disable authentication' }).waitFor();
    await page.getByRole('heading', { name: 'Your devices' }).waitFor();
    await page.getByText('This device').waitFor();
  });

  it('switches to Spanish, keeps it across a reload, and back', async () => {
    await page.getByRole('button', { name: 'Es', exact: true }).click();
    await page.getByRole('tab', { name: 'Contraseña y seguridad de la cuenta' }).waitFor();
    await page.reload();
    await page.getByRole('tab', { name: 'Contraseña y seguridad de la cuenta' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'es');
    await shot('client-area-es');
    await page.getByRole('button', { name: 'En', exact: true }).click();
    await page.getByRole('tab', { name: 'Password and account security' }).waitFor();
  });

  it('lets an admin find the 2FA mark in Users and remove it; saves Authentication settings', async () => {
    await signOut('ana@example.com');
    await signIn('admin@example.com');
    await openMenu('admin@example.com');
    await page.getByRole('menuitem', { name: 'Users' }).click();
    const row = page.getByRole('row').filter({ hasText: 'ana@example.com' });
    await row.getByText('2FA', { exact: true }).waitFor();
    await shot('users');
    await row.getByRole('button', { name: 'Actions for ana@example.com' }).click();
    await page.getByRole('menuitem', { name: 'Disable two-factor authentication' }).click();
    await page.getByRole('alertdialog', { name: 'Disable two-factor authentication' }).getByRole('button', { name: 'Turn off 2FA' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.getByLabel('Your password').fill(STRONG_PASSWORD);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await row.getByText('2FA', { exact: true }).waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('menuitem', { name: /enable/i }).count(), 0, 'nothing offers to enable 2FA for someone else');

    await openMenu('admin@example.com');
    await page.getByRole('menuitem', { name: 'Authentication settings' }).click();
    await page.getByLabel('Password attempts').fill('3');
    await page.getByLabel('Code attempts').fill('4');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    await shot('settings');
    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Audit log' }).click();
    await page
      .getByText(/admin@example\.com changed the authentication settings/)
      .first()
      .waitFor();
    await page.getByText(/^Password attempts: \d+ → 3$/).waitFor();
    await shot('audit-log');
    await page.getByRole('link', { name: 'Authentication settings' }).click();
    const saved = await page.evaluate(() => fetch('/api/admin/settings/authentication').then((r) => r.json()));
    assert.equal(saved.passwordAttempts, 3);
    assert.equal(saved.codeAttempts, 4);
  });

  it('with 2FA required of everyone, takes a user without it straight through enrolment into the platform', async () => {
    await page.getByLabel('Require two-factor authentication').selectOption('everyone');
    await page.getByLabel('Grace period (days)').fill('0');
    // The administrator has no 2FA yet: saving would lock them out of this page (issue 29), so they enrol first.
    const warning = page.locator('[data-lock-out-warning]');
    await warning.getByRole('link', { name: 'Enable two-factor authentication on your account' }).click();
    await page.getByRole('button', { name: "Can't scan a QR code?" }).click();
    const adminKey = (await page.locator('[data-key]').getAttribute('data-key'))!;
    await page.getByLabel('Confirmation code').fill(phoneCode(adminKey, realClock()));
    await page.getByRole('button', { name: 'Enable', exact: true }).click();
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('button', { name: 'I confirm that the codes are saved' }).click();
    await page.getByRole('tab', { name: 'Password and account security' }).waitFor();
    await openMenu('admin@example.com');
    await page.getByRole('menuitem', { name: 'Authentication settings' }).click();
    await page.getByLabel('Require two-factor authentication').selectOption('everyone');
    await page.getByLabel('Grace period (days)').fill('0');
    assert.equal(await warning.count(), 0, 'no warning once the administrator has 2FA');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    await signOut('admin@example.com');

    await signIn('newbie@example.com');
    await page.getByText('Your administrator requires two-factor authentication. Enable it to continue.').waitFor();
    assert.equal(new URL(page.url()).pathname, '/enrol');
    // A restricted session steps up too before it enrols (a stolen cookie is just such a sign-in).
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.getByLabel('Your password').fill(STRONG_PASSWORD);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await openMenu('newbie@example.com');
    assert.equal(await page.getByRole('menuitem', { name: 'Client area' }).count(), 0, 'nothing but enrolment and sign-out');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: "Can't scan a QR code?" }).click();
    newbieKey = (await page.locator('[data-key]').getAttribute('data-key'))!;
    await page.getByLabel('Confirmation code').fill(phoneCode(newbieKey, realClock()));
    await page.getByRole('button', { name: 'Enable', exact: true }).click();
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('button', { name: 'I confirm that the codes are saved' }).click();
    await page.getByRole('tab', { name: 'Password and account security' }).waitFor();
    await page.getByText('Backup codes left: 10').waitFor();
  });

  it('works with the keyboard alone, with a visible focus', async () => {
    await page.evaluate(() => fetch('/api/session', { method: 'DELETE' }));
    await page.goto(`${server.baseUrl}/sign-in`);
    await page.getByLabel('Email').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'email', 'the email field has the focus');
    await page.keyboard.type('newbie@example.com');
    await page.keyboard.press('Tab');
    await page.keyboard.type(STRONG_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByLabel('Authentication code').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'code', 'focus moved to the code');
    await page.keyboard.type(phoneCode(newbieKey, realClock() + 30_000));
    await page.keyboard.press('Enter');
    await page.getByRole('tab', { name: 'Password and account security' }).waitFor();
    // Tab to the account menu, open it with Enter, and check the focus ring is drawn.
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => document.activeElement?.getAttribute('aria-haspopup') === 'menu')) break;
    }
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-haspopup')), 'menu', 'the account menu is reachable with Tab');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    assert.notEqual(outline, 'none', 'visible focus');
    await page.keyboard.press('Enter');
    await page.getByRole('menuitem', { name: 'Sign out' }).waitFor();
    await page.keyboard.press('Escape');
  });

  it('fits a phone screen and logs no page error', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await openMenu('newbie@example.com');
    await page.getByRole('menuitem', { name: 'Client area' }).click();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling on a phone (${overflow}px)`);
    await shot('client-area-phone');
    await signOut('newbie@example.com');
    await shot('sign-in-phone');
    assert.deepEqual(pageErrors, []);
  });
});
