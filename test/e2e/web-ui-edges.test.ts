// The rough edges of issue 29, in a real Chromium against a real server process, in English and
// Spanish: an internationalised email signs in (no type="email" refusing it before it is sent), an
// account's language is adopted on load and changed only by the En / Es picker (never overwritten by
// the browser's), and an administrator without 2FA is warned, and refused, before requiring it of
// everyone with no grace period (which would lock them out of the setting).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumSkip, launchChromium } from '../../src/test-support/browser.js';
import { skipUnless } from '../../src/test-support/databases.js';
import { STRONG_PASSWORD, seedUser, startTestApp } from '../../src/test-support/harness.js';
import { realClock, startServerProcess, type ServerProcess } from '../../src/test-support/processes.js';
import { WEB_DIST } from '../../src/app.js';

const skip = chromiumSkip ?? skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)');

const JOSE = 'josé@example.com';
const LUCIA = 'lucía@example.com';

describe('web UI: internationalised emails, the account language, the require-2FA lock-out (Chromium)', { skip }, () => {
  let server: ServerProcess;
  let browser: Browser;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-e2e-edges-'));
  const pageErrors: string[] = [];

  before(async () => {
    const url = `sqlite:${path.join(dir, 'gatehouse.db')}`;
    const masterKey = randomBytes(32);
    const seed = await startTestApp({ url, masterKey, clock: realClock });
    await seedUser(seed.s, 'admin@example.com', 'admin');
    await seedUser(seed.s, JOSE, 'user');
    const lucia = await seedUser(seed.s, LUCIA, 'user');
    await seed.s.users.setLocale(lucia.id, 'es');
    await seed.close();
    server = await startServerProcess({ GATEHOUSE_DATABASE_URL: url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A new English browser (its own storage): no language was ever picked in it. */
  async function englishBrowser(): Promise<{ context: BrowserContext; page: Page; localePuts: string[] }> {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) pageErrors.push(m.text());
    });
    const localePuts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PUT' && new URL(r.url()).pathname === '/api/me/locale') localePuts.push(r.postData() ?? '');
    });
    return { context, page, localePuts };
  }

  const words = {
    en: { email: 'Email', password: 'Password', signIn: 'Sign in', security: 'Password and account security', menu: 'Account menu', signOut: 'Sign out' },
    es: {
      email: 'Correo electrónico',
      password: 'Contraseña',
      signIn: 'Iniciar sesión',
      security: 'Contraseña y seguridad de la cuenta',
      menu: 'Menú de la cuenta',
      signOut: 'Cerrar sesión',
    },
  };

  async function signIn(page: Page, email: string, lang: 'en' | 'es') {
    const w = words[lang];
    await page.getByLabel(w.email).fill(email);
    await page.getByLabel(w.password, { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: w.signIn, exact: true }).click();
  }

  async function signOut(page: Page, lang: 'en' | 'es') {
    const w = words[lang];
    await page
      .getByRole('banner')
      .getByRole('button', { name: new RegExp(w.menu) })
      .click();
    await page.getByRole('menuitem', { name: w.signOut }).click();
    await page.getByRole('heading', { name: w.signIn }).waitFor();
  }

  const session = (page: Page) => page.evaluate(() => fetch('/api/session').then((r) => r.json()));

  it(`signs in as ${JOSE} in English and in Spanish; the email fields take the address`, async () => {
    const { context, page } = await englishBrowser();
    await page.goto(`${server.baseUrl}/sign-in`);
    const field = page.getByLabel('Email');
    await field.fill(JOSE);
    assert.equal(await field.evaluate((e: HTMLInputElement) => e.checkValidity()), true, 'the browser does not refuse it');
    assert.equal(await field.getAttribute('inputmode'), 'email');
    assert.equal(await field.getAttribute('autocomplete'), 'username');
    await signIn(page, JOSE, 'en');
    await page.getByRole('tab', { name: words.en.security }).waitFor();
    assert.equal((await session(page)).user.email, JOSE);
    await signOut(page, 'en');

    await page.getByRole('button', { name: 'Es', exact: true }).click();
    await signIn(page, JOSE, 'es');
    await page.getByRole('tab', { name: words.es.security }).waitFor();
    assert.equal((await session(page)).user.email, JOSE);
    // Picked before signing in: that pick is the account's language now.
    await page.waitForFunction(() => fetch('/api/session').then(async (r) => (await r.json()).user.locale === 'es'));
    await signOut(page, 'es');

    // Forgot password takes the address too (the server answers, not the browser).
    await page.goto(`${server.baseUrl}/forgot-password`);
    const reset = page.locator('#reset-email');
    await reset.fill(JOSE);
    assert.equal(await reset.evaluate((e: HTMLInputElement) => e.checkValidity()), true);
    await context.close();
  });

  it('a Spanish account signing in from an English browser stays Spanish: the UI adopts it, nothing is PUT', async () => {
    const { context, page, localePuts } = await englishBrowser();
    await page.goto(`${server.baseUrl}/sign-in`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signIn(page, LUCIA, 'en');
    await page.getByRole('tab', { name: words.es.security }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'es');
    await page.reload();
    await page.getByRole('tab', { name: words.es.security }).waitFor();
    assert.deepEqual(localePuts, [], 'no language was picked, so none is sent');
    assert.equal((await session(page)).user.locale, 'es', 'the account (and its mail) stays Spanish');

    // Picking a language is what changes the account's.
    await page.getByRole('button', { name: 'En', exact: true }).click();
    await page.getByRole('tab', { name: words.en.security }).waitFor();
    await page.waitForFunction(() => fetch('/api/session').then(async (r) => (await r.json()).user.locale === 'en'));
    assert.deepEqual(localePuts, ['{"locale":"en"}']);
    await page.getByRole('button', { name: 'Es', exact: true }).click();
    await page.reload(); // even if the reload cuts the PUT short, the pick survives it and is saved
    await page.getByRole('tab', { name: words.es.security }).waitFor();
    await page.waitForFunction(() => fetch('/api/session').then(async (r) => (await r.json()).user.locale === 'es'));
    await context.close();
  });

  it('an administrator without 2FA: creates an internationalised account; is warned and refused before locking themselves out', async () => {
    const { context, page } = await englishBrowser();
    await page.goto(`${server.baseUrl}/sign-in`);
    await signIn(page, 'admin@example.com', 'en');
    await page.getByRole('tab', { name: words.en.security }).waitFor();
    // Sensitive changes need a step-up: done once, by the API, for what follows.
    assert.equal(
      await page.evaluate(
        (password) =>
          fetch('/api/session/step-up', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password }) }).then(
            (r) => r.status,
          ),
        STRONG_PASSWORD,
      ),
      204,
    );

    await page.goto(`${server.baseUrl}/admin/users`);
    const create = page.getByRole('form', { name: 'Create user' });
    await create.getByLabel('Email').fill('zoë@bücher.example');
    assert.equal(await create.getByLabel('Email').evaluate((e: HTMLInputElement) => e.checkValidity()), true);
    await create.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
    await create.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('status').filter({ hasText: 'User created.' }).waitFor();
    await page.getByRole('row').filter({ hasText: 'zoë@bücher.example' }).waitFor();

    await page.goto(`${server.baseUrl}/admin/settings`);
    const warning = page.locator('[data-lock-out-warning]');
    await page.getByLabel('Require two-factor authentication').selectOption('everyone');
    await page.getByLabel('Grace period (days)').fill('3');
    assert.equal(await warning.count(), 0, 'a grace period leaves time to enrol');
    await page.getByLabel('Grace period (days)').fill('0');
    await warning.filter({ hasText: 'Your own account has no two-factor authentication' }).waitFor();
    await warning.getByRole('link', { name: 'Enable two-factor authentication on your account' }).waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'Enable two-factor authentication on your own account first' }).waitFor();

    await page.getByRole('button', { name: 'Es', exact: true }).click();
    await warning.filter({ hasText: 'Tu propia cuenta no tiene la autenticación en dos pasos' }).waitFor();
    await page.getByRole('button', { name: 'Guardar' }).click();
    await page.getByRole('alert').filter({ hasText: 'Activa primero la autenticación en dos pasos en tu propia cuenta' }).waitFor();
    const saved = await page.evaluate(() => fetch('/api/admin/settings/authentication').then((r) => r.json()));
    assert.equal(saved.require2fa, 'off', 'nothing was changed');
    assert.equal((await session(page)).user.restricted, undefined, 'and the administrator is not locked out');
    await context.close();
    assert.deepEqual(pageErrors, []);
  });
});
