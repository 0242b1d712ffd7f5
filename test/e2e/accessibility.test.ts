// axe-core on every page and state of the web UI (sign-in and its errors, the second step, the
// security page, enrolment, backup codes, the step-up dialog, the admin pages with the row menu
// open, groups, forward-auth rules and the access check's answers, the /step-up page, banners),
// at 1280 and 390 px, in English and Spanish: any violation fails the test.
// A real Chromium against the app listening on a real port, on the real clock.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { chromiumSkip, launchChromium } from '../../src/test-support/browser.js';
import { skipUnless } from '../../src/test-support/databases.js';
import { STRONG_PASSWORD, seedUser, startTestApp, type TestApp } from '../../src/test-support/harness.js';
import { freePort, HttpClient, realClock } from '../../src/test-support/processes.js';
import { phoneCode } from '../../src/test-support/authenticator.js';
import { WEB_DIST } from '../../src/app.js';

const skip = chromiumSkip ?? skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)');

const VIEWPORTS = [
  { width: 1280, height: 900 },
  { width: 390, height: 844 },
] as const;
const LANGUAGES = ['en', 'es'] as const;
/** Password and account security: each area's own view (the overview links to them). */
const SECURITY_VIEWS = [
  '/account/profile',
  '/account/security/email',
  '/account/security/two-factor',
  '/account/security/keys',
  '/account/security/password',
  '/account/security/devices',
  '/account/security/applications',
  '/account/security/groups',
  '/account/security/activity',
];

describe('accessibility (axe-core) of every page and state', { skip }, () => {
  let test: TestApp;
  let baseUrl = '';
  let browser: Browser;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-a11y-'));
  const keys = new Map<string, string>();

  /** Turns 2FA on for a seeded account over the API, as its owner would; returns the key. */
  async function enableTwoFactor(email: string): Promise<string> {
    const client = new HttpClient(baseUrl);
    assert.equal((await client.post('/api/session', { email, password: STRONG_PASSWORD })).status, 200);
    assert.equal((await client.stepUp(STRONG_PASSWORD)).status, 204);
    const setup = await client.post('/api/me/2fa/setup');
    assert.equal(setup.status, 200, JSON.stringify(setup.body));
    const enabled = await client.post('/api/me/2fa/enable', { code: phoneCode(setup.body.key, Date.now()) });
    assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
    return setup.body.key as string;
  }

  before(async () => {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    // A real browser keeps cookies by the real date: the app runs on the real clock too.
    test = await startTestApp({ url: `sqlite:${path.join(dir, 'gatehouse.db')}`, clock: realClock, env: { GATEHOUSE_PUBLIC_URL: baseUrl } });
    await test.app.listen({ port, host: '127.0.0.1' });
    for (const lang of LANGUAGES) {
      for (const { width } of VIEWPORTS) {
        const id = `${lang}-${width}`;
        // Each account's language is its own (the UI adopts it on load, whatever the browser's).
        await test.s.users.setLocale((await seedUser(test.s, `admin-${id}@example.com`, 'admin')).id, lang);
        const ana = await seedUser(test.s, `ana-${id}@example.com`, 'user');
        await test.s.users.setLocale(ana.id, lang);
        await test.s.users.setLocale((await seedUser(test.s, `new-${id}@example.com`, 'user')).id, lang);
        keys.set(`admin-${id}`, await enableTwoFactor(`admin-${id}@example.com`));
        // Who may go where: a group with ana in it, an application whose rules name it (and refuse
        // a path to everyone), and one with no rule yet.
        const group = await test.s.groups.create(`family-${id}`, 'cli', null);
        await test.s.groups.addMember(group.id, ana.id, 'cli', null);
        await test.s.accessRules.addRule(
          { host: `photos-${id}.example.com`, allow: [`group:family-${id}`], factors: 'two_factors', name: `Photos ${id}` },
          'cli',
          null,
        );
        await test.s.accessRules.addRule({ host: `photos-${id}.example.com`, path: '/private', deny: true }, 'cli', null);
        await test.s.accessRules.createApplication({ host: `empty-${id}.example.com` }, 'cli', null);
      }
    }
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await test?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const lang of LANGUAGES) {
    for (const viewport of VIEWPORTS) {
      it(`has no violation in ${lang} at ${viewport.width} px`, async () => {
        const context = await browser.newContext({ locale: lang === 'es' ? 'es-ES' : 'en-US', viewport });
        await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
        const page = await context.newPage();
        page.setDefaultTimeout(10_000);
        const found: string[] = [];
        const check = async (state: string) => {
          const result = await new AxeBuilder({ page }).analyze();
          for (const v of result.violations) {
            found.push(`${state}: ${v.id} (${v.impact}) ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`);
          }
        };
        const id = `${lang}-${viewport.width}`;
        try {
          await runStates(page, check, id, keys.get(`admin-${id}`)!);
        } finally {
          await context.close();
        }
        assert.deepEqual(found, [], `axe violations:\n${found.join('\n')}`);
      });
    }
  }

  async function runStates(page: Page, check: (state: string) => Promise<void>, id: string, adminKey: string) {
    const api = (method: string, url: string, body?: unknown) =>
      page.evaluate(
        async ([m, u, b]) => {
          const r = await fetch(u as string, {
            method: m as string,
            headers: b ? { 'content-type': 'application/json' } : {},
            body: b ? JSON.stringify(b) : undefined,
          });
          return r.status;
        },
        [method, url, body] as const,
      );
    const signIn = async (email: string, password = STRONG_PASSWORD) => {
      await page.goto(`${baseUrl}/sign-in`);
      await page.locator('#email').fill(email);
      await page.locator('#password').fill(password);
      await page.locator('form button[type=submit]').click();
    };

    // Sign-in: empty, then a wrong password.
    await page.goto(`${baseUrl}/sign-in`);
    await page.locator('#email').waitFor();
    await check('sign-in');
    await signIn(`ana-${id}@example.com`, 'wrong-password-123');
    await page.getByRole('alert').waitFor();
    await check('sign-in with an error');

    // The security page of an account without 2FA, then enrolment through the step-up dialog.
    await signIn(`ana-${id}@example.com`);
    await page.locator('#panel-security').waitFor();
    await check('security overview (2FA off)');
    await page.locator('[data-action=enable-2fa]').click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await check('step-up dialog');
    await dialog.locator('#step-up-password').fill('wrong-password-123');
    await dialog.locator('button[type=submit]').click();
    await dialog.getByRole('alert').waitFor();
    await check('step-up dialog with an error');
    await dialog.locator('#step-up-password').fill(STRONG_PASSWORD);
    await dialog.locator('button[type=submit]').click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('img.qr').waitFor();
    await check('enrolment');
    await page.locator('[aria-controls=manual-key]').click();
    await page.locator('[data-key]').waitFor();
    await check('enrolment with the key shown');
    const key = (await page.locator('[data-key]').getAttribute('data-key'))!;
    await page.locator('#confirmation-code').fill(phoneCode(key, Date.now()) === '000000' ? '111111' : '000000');
    await page.locator('#confirmation-code').press('Enter');
    await page.getByRole('alert').waitFor();
    await check('enrolment with a wrong code');
    await page.locator('#confirmation-code').fill(phoneCode(key, Date.now()));
    await page.locator('#confirmation-code').press('Enter');
    await page.locator('[data-backup-codes]').waitFor();
    await check('backup codes');
    await page.locator('[data-action=copy-codes]').click();
    await page.locator('[data-action=confirm-codes]').click();
    await page.locator('[data-action=generate-codes]').waitFor();
    await check('two-factor view (2FA on)');
    // The overview with 2FA on, then every area's own view.
    await page.goto(`${baseUrl}/account`);
    await page.locator('.overview').waitFor();
    await page.waitForLoadState('networkidle');
    await check('security overview (2FA on)');
    for (const view of SECURITY_VIEWS) {
      await page.goto(`${baseUrl}${view}`);
      await page.locator('.back').waitFor();
      await page.waitForLoadState('networkidle');
      await check(`security view ${view}`);
    }

    // The second step, with an error, and the backup-code notice.
    await api('DELETE', '/api/session');
    await signIn(`ana-${id}@example.com`);
    await page.locator('#code').waitFor();
    await check('second step');
    await page.locator('#code').fill(phoneCode(key, Date.now()) === '000000' ? '111111' : '000000');
    await page.locator('#code').press('Enter');
    await page.getByRole('alert').waitFor();
    await check('second step with an error');
    await page.locator('#code').fill('');
    const toggle = page.locator('form button.link[aria-pressed]');
    await toggle.click();
    assert.equal(await page.locator('#code').getAttribute('inputmode'), 'text', 'a backup code gets the full keyboard');
    await check('second step, backup code');
    await toggle.click();
    assert.equal(await page.locator('#code').getAttribute('inputmode'), 'numeric');
    await page.locator('#code').fill(phoneCode(key, Date.now() + 30_000)); // the enrolment's code is spent
    await page.locator('#code').press('Enter');
    await page.locator('#panel-security').waitFor();
    await check('security overview after a failed code (sign-in warning)');

    // The admin area: users with the row menu open, settings, audit log, applications.
    await api('DELETE', '/api/session');
    await signIn(`admin-${id}@example.com`);
    await page.locator('#code').fill(phoneCode(adminKey, Date.now() + 30_000)); // the enrolment's code is spent
    await page.locator('#code').press('Enter');
    await page.locator('#panel-security').waitFor();
    await page.goto(`${baseUrl}/admin/users`);
    await page.locator(`[data-user="ana-${id}@example.com"]`).first().waitFor();
    await check('users');
    await page.locator(`[data-user="ana-${id}@example.com"]:visible [aria-haspopup=menu]`).click();
    await page.getByRole('menu').waitFor();
    await check('users with a row menu open');
    // Never clipped: the whole menu is inside the window, on top of everything at its centre.
    const box = (await page.getByRole('menu').boundingBox())!;
    const size = page.viewportSize()!;
    assert.ok(
      box.x >= 0 && box.y >= 0 && box.x + box.width <= size.width && box.y + box.height <= size.height,
      `menu inside the window: ${JSON.stringify(box)}`,
    );
    assert.ok(
      await page.getByRole('menu').evaluate((menu) => {
        const r = menu.getBoundingClientRect();
        return menu.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2));
      }),
      'nothing covers the menu',
    );
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling (cards on a phone)');
    // The keyboard: End and Home move through the items; Esc closes and gives the focus back.
    const menuButton = page.locator(`[data-user="ana-${id}@example.com"]:visible [aria-haspopup=menu]`);
    const items = page.getByRole('menu').getByRole('menuitem');
    assert.ok(
      await page
        .getByRole('menu')
        .getByRole('menuitem')
        .first()
        .evaluate((el) => el === document.activeElement),
      'the first item has the focus',
    );
    await page.keyboard.press('End');
    assert.ok(await items.last().evaluate((el) => el === document.activeElement), 'End: the last item');
    await page.keyboard.press('Home');
    assert.ok(await items.first().evaluate((el) => el === document.activeElement), 'Home: the first item');
    await page.keyboard.press('Escape');
    assert.ok(await menuButton.evaluate((el) => el === document.activeElement), 'Esc: focus back on the button');
    // The last item (Delete account, typing the email) asks in the page first.
    await menuButton.click();
    await page.getByRole('menuitem').last().click();
    await page.getByRole('alertdialog').waitFor();
    await check('users with a confirmation');
    await page.keyboard.press('Escape');
    await page.getByRole('alertdialog').waitFor({ state: 'detached' });
    // Edit name: the form above the list.
    await menuButton.click();
    await page.getByRole('menuitem', { name: id.startsWith('es') ? 'Editar el nombre' : 'Edit name' }).click();
    await page.locator('#edit-name-displayName').waitFor();
    await check('users with the name form');
    await page.locator('.edit-name button[type=button]').click();
    await page.goto(`${baseUrl}/admin/settings`);
    await page.locator('#passwordAttempts').waitFor();
    await check('authentication settings');
    await page.goto(`${baseUrl}/admin/audit`);
    await page.locator('[data-audit-events]').waitFor();
    await check('audit log');
    await page.locator('#audit-kind').selectOption('sign_in.succeeded');
    await page.locator('#audit-account').fill(`ana-${id}@example.com`);
    await page.locator('[data-audit-events] > li').first().waitFor();
    await check('audit log, filtered');
    await page.goto(`${baseUrl}/admin/applications`);
    await page.locator('main h1').waitFor();
    await page.locator(`[data-application="photos-${id}.example.com"] [data-rule="/private"]`).waitFor();
    await check('applications (OpenID Connect and forward auth)');
    const photos = page.locator(`[data-application="photos-${id}.example.com"]`);
    await photos.locator('.actions button').first().click();
    await photos.locator('form input').waitFor();
    await check('a forward-auth application being renamed');
    await photos.locator('form button[type=button]').click();
    await photos.locator('[data-rule="/private"] button').click();
    await page.getByRole('alertdialog').waitFor();
    await check('applications with a confirmation');
    await page.keyboard.press('Escape');
    await page.getByRole('alertdialog').waitFor({ state: 'detached' });
    // "Can this person reach this address?": allowed, step-up, refused, and an input the server refuses.
    const accessCheck = async (email: string, url: string, factors: string, outcome: string) => {
      await page.locator('#check-email').fill(email);
      await page.locator('#check-url').fill(url);
      await page.locator('#check-factors').selectOption(factors);
      await page.locator('#check-url').press('Enter');
      await page.locator(`[data-outcome=${outcome}]`).waitFor();
      await check(`access check: ${outcome}`);
    };
    await accessCheck(`ana-${id}@example.com`, `https://photos-${id}.example.com/albums`, 'two_factors', 'allow');
    await accessCheck(`ana-${id}@example.com`, `https://photos-${id}.example.com/albums`, 'password', 'step_up');
    await accessCheck(`new-${id}@example.com`, `https://photos-${id}.example.com/albums`, 'two_factors', 'deny');
    await page.locator('#check-email').fill(`nobody-${id}@example.com`);
    await page.locator('#check-url').press('Enter');
    await page.locator('[aria-labelledby=access-check-title] [role=alert]').waitFor();
    await check('access check with an error');

    // Groups: the list, a group opened, its delete confirmation.
    await page.goto(`${baseUrl}/admin/groups`);
    await page.locator(`[data-group="family-${id}"]`).waitFor();
    await check('groups');
    await page.locator(`[data-group="family-${id}"] button`).click();
    await page.locator(`[data-member="ana-${id}@example.com"]`).waitFor();
    await check('a group opened');
    await page.locator('.group button.danger').click();
    await page.getByRole('alertdialog').waitFor();
    await check('groups with a confirmation');
    await page.keyboard.press('Escape');
    await page.getByRole('alertdialog').waitFor({ state: 'detached' });

    // Where forward auth sends a session too weak for a rule: /step-up?rd=, then with an error.
    await page.goto(`${baseUrl}/step-up?rd=${encodeURIComponent(`https://photos-${id}.example.com/albums`)}`);
    await page.locator('#step-up-page-password').waitFor();
    await check('step-up page');
    await page.locator('#step-up-page-password').fill('wrong-password-123');
    await page.locator('#step-up-page-code').fill('123456');
    await page.locator('#step-up-page-code').press('Enter');
    await page.getByRole('alert').waitFor();
    await check('step-up page with an error');

    // The require-2FA banner for an account without it (everyone required, a grace period): set
    // by the service itself, and put back, so this test's other runs see the defaults.
    const policy = async (require2fa: 'off' | 'everyone') =>
      test.s.settings.update({ require2fa, require2faGraceDays: 30 }, (trx, was, now) => test.s.policy.applyPolicyChange(trx, was.require2fa, now.require2fa));
    await policy('everyone');
    try {
      await api('DELETE', '/api/session');
      await signIn(`new-${id}@example.com`);
      await page.locator('.banner').waitFor();
      await check('security overview with the require-2FA banner');
    } finally {
      await policy('off');
    }
  }
});
