// Issue 36 in a real Chromium against a real server process, in English and Spanish: new backup
// codes take exactly one code from the app, after a step-up (the dialog offers the code already
// typed, and the step-up that spends it stands for it) and with the step-up window already open;
// a code that was just used says so wherever it is typed; the lock's message links to
// "Forgot password?"; turning 2FA off says "is off" once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { chromiumSkip, launchChromium } from '../../src/test-support/browser.js';
import { skipUnless } from '../../src/test-support/databases.js';
import { STRONG_PASSWORD, seedUser, startTestApp } from '../../src/test-support/harness.js';
import { HttpClient, realClock, startServerProcess, type ServerProcess } from '../../src/test-support/processes.js';
import { phoneCode } from '../../src/test-support/authenticator.js';
import { WEB_DIST } from '../../src/app.js';

const skip = chromiumSkip ?? skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)');

const STEP_MS = 30_000;

/** The accessible names and texts the tests look for, word for word, in each language. */
const LABELS = {
  en: {
    email: 'Email',
    password: 'Password',
    signIn: 'Sign in',
    code: 'Authentication code',
    verify: 'Verify',
    tab: 'Password and account security',
    manage2fa: 'Manage: Two-factor authentication',
    generateNew: 'Generate new codes',
    appCode: 'Code from the app',
    generate: 'Generate',
    stepUp: 'Confirm it is you',
    stepUpPassword: 'Your password',
    stepUpCode: 'Code from the app or a backup code',
    confirm: 'Confirm',
    codes: 'Backup codes',
    copy: 'Copy',
    saved: 'I confirm that the codes are saved',
    ten: 'Backup codes left: 10',
    disable: 'Disable authentication',
    confirmDisable: 'Disable',
    off: 'Two-factor authentication is off',
    reused: 'This code was just used; wait for the next one.',
    locked: /^Too many failed attempts\. Try again in \d+ min \d+ s\. Forgot password\?$/,
    forgot: 'Forgot password?',
    forgotTitle: 'Reset your password',
  },
  es: {
    email: 'Correo electrónico',
    password: 'Contraseña',
    signIn: 'Iniciar sesión',
    code: 'Código de autenticación',
    verify: 'Verificar',
    tab: 'Contraseña y seguridad de la cuenta',
    manage2fa: 'Gestionar: Autenticación en dos pasos',
    generateNew: 'Generar códigos nuevos',
    appCode: 'Código de la aplicación',
    generate: 'Generar',
    stepUp: 'Confirma que eres tú',
    stepUpPassword: 'Tu contraseña',
    stepUpCode: 'Código de la aplicación o un código de respaldo',
    confirm: 'Confirmar',
    codes: 'Códigos de respaldo',
    copy: 'Copiar',
    saved: 'Confirmo que he guardado los códigos',
    ten: 'Códigos de respaldo restantes: 10',
    disable: 'Desactivar la autenticación',
    confirmDisable: 'Desactivar',
    off: 'La autenticación en dos pasos está desactivada',
    reused: 'Este código se acaba de usar; espera al siguiente.',
    locked: /^Demasiados intentos fallidos\. Vuelve a intentarlo en \d+ min \d+ s\. ¿Olvidaste la contraseña\?$/,
    forgot: '¿Olvidaste la contraseña?',
    forgotTitle: 'Restablecer la contraseña',
  },
} as const;
type Lang = keyof typeof LABELS;

/**
 * The phone of one account, on the real clock the server has. Each code is for a later step than
 * the last one used (the server takes a step once) and inside the window the server learned from
 * the last code (±1 step around its offset), with a step's margin for a step boundary crossed
 * before the server checks it; it waits for the next step when there is no such code yet.
 */
class Phone {
  private lastStep = -1;
  private lastOffset = 0;
  constructor(readonly key: string) {}

  /** The code of the step used last: right, but already used. */
  used(): string {
    return phoneCode(this.key, this.lastStep * STEP_MS);
  }

  async next(): Promise<string> {
    for (;;) {
      const ms = realClock();
      const intoStep = ms % STEP_MS;
      const now = Math.floor(ms / STEP_MS);
      const centre = Math.max(-2, Math.min(2, this.lastOffset));
      const step = this.lastStep < 0 ? now : Math.max(this.lastStep + 1, now + centre);
      if (intoStep < STEP_MS - 5_000 && step <= now + centre + 1) {
        this.lastStep = step;
        this.lastOffset = step - now;
        return phoneCode(this.key, step * STEP_MS);
      }
      await sleep(STEP_MS - intoStep + 100);
    }
  }
}

describe('codes in the web UI (issue 36) in Chromium', { skip }, () => {
  let server: ServerProcess;
  let browser: Browser;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-e2e-codes-'));
  const pageErrors: string[] = [];
  const emails = (lang: Lang) => ({ codes: `codes-${lang}@example.com`, dialog: `dialog-${lang}@example.com`, locked: `locked-${lang}@example.com` });

  before(async () => {
    const url = `sqlite:${path.join(dir, 'gatehouse.db')}`;
    const masterKey = randomBytes(32);
    const seed = await startTestApp({ url, masterKey, clock: realClock });
    // Each account's language is its own (the UI adopts it on load, whatever the browser's).
    for (const lang of ['en', 'es'] as const)
      for (const email of Object.values(emails(lang))) await seed.s.users.setLocale((await seedUser(seed.s, email)).id, lang);
    await seed.close();
    server = await startServerProcess({ GATEHOUSE_DATABASE_URL: url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Turns 2FA on over the API, as its owner would; the enrolment spends the phone's first code. */
  async function enrol(email: string): Promise<Phone> {
    const owner = new HttpClient(server.baseUrl);
    assert.equal((await owner.post('/api/session', { email, password: STRONG_PASSWORD })).status, 200);
    assert.equal((await owner.stepUp(STRONG_PASSWORD)).status, 204);
    const setup = await owner.post('/api/me/2fa/setup');
    const phone = new Phone(setup.body.key);
    const enabled = await owner.post('/api/me/2fa/enable', { code: await phone.next() });
    assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
    return phone;
  }

  async function newPage(lang: Lang): Promise<Page> {
    const context = await browser.newContext({ locale: lang === 'es' ? 'es-ES' : 'en-US', viewport: { width: 1100, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      // The browser logs every 4xx answer as a failed resource; those are the API's expected refusals.
      if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) pageErrors.push(m.text());
    });
    return page;
  }

  async function signIn(page: Page, lang: Lang, email: string, password = STRONG_PASSWORD) {
    const L = LABELS[lang];
    await page.goto(`${server.baseUrl}/sign-in`);
    await page.getByLabel(L.email).fill(email);
    await page.getByLabel(L.password, { exact: true }).fill(password);
    await page.getByRole('button', { name: L.signIn, exact: true }).click();
  }

  /** The codes shown once: read, copied, confirmed; back to the overview with 10 left. */
  async function takeCodes(page: Page, lang: Lang): Promise<string[]> {
    const L = LABELS[lang];
    await page.getByRole('heading', { name: L.codes }).waitFor();
    const codes = (await page.getByRole('list', { name: L.codes }).locator('code').allTextContents()).map((c) => c.trim());
    assert.equal(codes.length, 10);
    await page.getByRole('button', { name: L.copy, exact: true }).click();
    await page.getByRole('button', { name: L.saved }).click();
    await page.getByText(L.ten).waitFor();
    return codes;
  }

  for (const lang of ['en', 'es'] as const) {
    const L = LABELS[lang];

    it(`${lang}: new codes with one app code, after a step-up and with the window open; a used code says so; off is said once`, async () => {
      const phone = await enrol(emails(lang).codes);
      const page = await newPage(lang);
      let dialogs = 0;
      page.on('response', (r) => {
        if (r.url().endsWith('/api/session/step-up')) dialogs++;
      });
      await signIn(page, lang, emails(lang).codes);
      const signInCode = page.getByLabel(L.code);
      await signInCode.fill(phone.used()); // the enrolment's code
      await page.getByRole('button', { name: L.verify }).click();
      await page.getByRole('alert').filter({ hasText: L.reused }).waitFor();
      await signInCode.fill(await phone.next());
      await page.getByRole('button', { name: L.verify }).click();
      await page.getByRole('tab', { name: L.tab }).waitFor();
      await page.getByRole('link', { name: L.manage2fa }).click();

      // No step-up yet: the dialog asks the password, the code typed inline already in its field.
      await page.getByRole('button', { name: L.generateNew }).click();
      const code = await phone.next();
      await page.getByLabel(L.appCode, { exact: true }).fill(code);
      await page.getByRole('button', { name: L.generate, exact: true }).click();
      const dialog = page.getByRole('dialog', { name: L.stepUp });
      await dialog.waitFor();
      assert.equal(await dialog.getByLabel(L.stepUpCode).inputValue(), code, 'the code typed once is offered, not asked again');
      await dialog.getByLabel(L.stepUpPassword).fill(STRONG_PASSWORD);
      await dialog.getByRole('button', { name: L.confirm }).click();
      const first = await takeCodes(page, lang);
      assert.equal(dialogs, 1, 'one step-up');

      // The window is open: the inline code alone. The code the step-up spent says it was just used.
      await page.getByRole('button', { name: L.generateNew }).click();
      const field = page.getByLabel(L.appCode, { exact: true });
      await field.fill(code);
      await page.getByRole('button', { name: L.generate, exact: true }).click();
      await page.getByRole('alert').filter({ hasText: L.reused }).waitFor();
      await field.fill(await phone.next());
      await page.getByRole('button', { name: L.generate, exact: true }).click();
      const second = await takeCodes(page, lang);
      assert.equal(dialogs, 1, 'no second step-up');
      assert.equal(await dialog.count(), 0);
      assert.ok(!second.some((c) => first.includes(c)), 'a new set');

      // Turning it off (the window is still open): "is off", once, as the announced notice.
      await page.getByRole('button', { name: L.disable }).click();
      await page.getByLabel(L.password, { exact: true }).fill(STRONG_PASSWORD);
      await page.getByRole('button', { name: L.confirmDisable, exact: true }).click();
      await page.getByRole('status').filter({ hasText: L.off }).waitFor();
      assert.equal(await page.getByText(L.off).count(), 1, `"${L.off}" said once`);
      assert.deepEqual(pageErrors, []);
      await page.context().close();
    });

    it(`${lang}: a lock's message links to "Forgot password?"`, async () => {
      const attacker = new HttpClient(server.baseUrl);
      for (let i = 0; i < 5; i++) {
        assert.equal((await attacker.post('/api/session', { email: emails(lang).locked, password: 'wrong-password-123' })).status, 401);
      }
      const page = await newPage(lang);
      await signIn(page, lang, emails(lang).locked); // the right password, refused while locked
      const alert = page.getByRole('alert');
      await alert.filter({ hasText: L.locked }).waitFor();
      assert.match((await alert.textContent()) ?? '', L.locked);
      await alert.getByRole('link', { name: L.forgot }).click();
      await page.getByRole('heading', { name: L.forgotTitle }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/forgot-password');
      await page.context().close();
    });
  }

  it('en: the step-up dialog says a code was just used, then takes the one offered', async () => {
    const L = LABELS.en;
    const phone = await enrol(emails('en').dialog);
    const page = await newPage('en');
    await signIn(page, 'en', emails('en').dialog);
    await page.getByLabel(L.code).fill(await phone.next());
    await page.getByRole('button', { name: L.verify }).click();
    await page.getByRole('tab', { name: L.tab }).waitFor();
    await page.getByRole('link', { name: L.manage2fa }).click();
    const signInCode = phone.used();
    await page.getByRole('button', { name: L.generateNew }).click();
    const code = await phone.next();
    await page.getByLabel(L.appCode, { exact: true }).fill(code);
    await page.getByRole('button', { name: L.generate, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: L.stepUp });
    await dialog.getByLabel(L.stepUpPassword).fill(STRONG_PASSWORD);
    await dialog.getByLabel(L.stepUpCode).fill(signInCode);
    await dialog.getByRole('button', { name: L.confirm }).click();
    await dialog.getByRole('alert').filter({ hasText: L.reused }).waitFor();
    await dialog.getByLabel(L.stepUpCode).fill(code);
    await dialog.getByRole('button', { name: L.confirm }).click();
    await takeCodes(page, 'en');
    assert.deepEqual(pageErrors, []);
    await page.context().close();
  });
});
