// Account removal (issue 31) in a real Chromium, SQLite only: an administrator deletes an account
// from Users through the confirmation dialog (the Delete button works only once the account's email
// is typed; the step-up dialog asks first), and, with selfDeletion on, a person deletes their own
// account from the security page and lands on the sign-in page, told so. axe-core checks the
// confirmation dialog at 1280 and 390 px, in English and Spanish. The app listens on a real port
// on the real clock, as the browser keeps its cookies by it. Words come from the locale files.
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
import { freePort, realClock } from '../../src/test-support/processes.js';
import { WEB_DIST } from '../../src/app.js';
import en from '../../web/src/locales/en.json' with { type: 'json' };
import es from '../../web/src/locales/es.json' with { type: 'json' };

const skip = chromiumSkip ?? skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)');
const VIEWPORTS = [
  { width: 1280, height: 900 },
  { width: 390, height: 844 },
] as const;
const ADMIN = 'admin@example.com';
const GONE = 'gone@example.com';
const SELF = 'yo@example.com';
/** A locale text with its {{values}} filled in, as i18next does. */
const fill = (text: string, values: Record<string, string>) => text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => values[name] ?? '');

describe('account removal in Chromium (sqlite)', { skip }, () => {
  let t: TestApp;
  let browser: Browser;
  let base = '';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-account-removal-'));

  before(async () => {
    const port = await freePort();
    base = `http://localhost:${port}`;
    t = await startTestApp({ url: `sqlite:${path.join(dir, 'gatehouse.db')}`, clock: realClock, env: { GATEHOUSE_PUBLIC_URL: base } });
    await t.app.listen({ port, host: '127.0.0.1' });
    await seedUser(t.s, ADMIN, 'admin');
    await seedUser(t.s, GONE);
    await t.s.users.setLocale((await seedUser(t.s, SELF)).id, 'es');
    browser = await launchChromium(['--host-resolver-rules=MAP localhost 127.0.0.1']);
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function signedIn(email: string, L: typeof en): Promise<Page> {
    const page = await (await browser.newContext({ locale: 'en-US', viewport: VIEWPORTS[0] })).newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${base}/sign-in`);
    await page.getByLabel(en.signIn.email).fill(email);
    await page.getByLabel(en.signIn.password, { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: en.signIn.submit, exact: true }).click();
    await page.getByRole('tab', { name: L.account.securityTab }).waitFor();
    return page;
  }

  /** axe-core on the open confirmation dialog, at both widths. */
  async function axeDialog(page: Page, state: string): Promise<void> {
    const found: string[] = [];
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      const result = await new AxeBuilder({ page }).include('[role=alertdialog]').analyze();
      for (const v of result.violations) found.push(`${state} at ${viewport.width}: ${v.id} ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
    }
    await page.setViewportSize(VIEWPORTS[0]);
    assert.deepEqual(found, []);
  }

  /** The step-up dialog the server's 403 reauthentication_required brings up: the password, Confirm. */
  async function stepUp(page: Page, L: typeof en): Promise<void> {
    const dialog = page.getByRole('dialog', { name: L.stepUp.title });
    await dialog.getByLabel(L.stepUp.password).fill(STRONG_PASSWORD);
    await dialog.getByRole('button', { name: L.stepUp.confirm }).click();
  }

  it('an administrator deletes an account from Users: the email typed, a step-up, the list reloaded, a notice', async () => {
    const page = await signedIn(ADMIN, en);
    await page.goto(`${base}/admin/users`);
    const row = page.locator(`[data-user="${GONE}"]:visible`);
    const openDialog = async (L: typeof en) => {
      await row.getByRole('button', { name: fill(L.users.menu, { email: GONE }) }).click();
      await page.getByRole('menuitem', { name: L.deletion.deleteAccount }).click();
      const dialog = page.getByRole('alertdialog', { name: fill(L.deletion.deleteAccountOf, { email: GONE }) });
      await dialog.waitFor();
      return dialog;
    };

    let dialog = await openDialog(en);
    const field = dialog.getByLabel(fill(en.deletion.typeEmail, { email: GONE }));
    assert.ok(await field.evaluate((el) => el === document.activeElement), 'the field to type in has the focus');
    const remove = dialog.getByRole('button', { name: en.deletion.deleteAccount });
    assert.equal(await remove.isDisabled(), true, 'disabled until the email is typed');
    await field.fill(ADMIN);
    assert.equal(await remove.isDisabled(), true, 'another email does not unlock it');
    await axeDialog(page, 'the deletion dialog (en)');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await row.count(), 1, 'cancelled: nothing happened');

    await page.getByRole('button', { name: 'Es', exact: true }).click();
    await page.locator('html[lang="es"]').waitFor({ state: 'attached' });
    dialog = await openDialog(es);
    await axeDialog(page, 'the deletion dialog (es)');
    await dialog.getByLabel(fill(es.deletion.typeEmail, { email: GONE })).fill(` ${GONE.toUpperCase()}`);
    await dialog.getByRole('button', { name: es.deletion.deleteAccount }).click();
    await stepUp(page, es);
    await page
      .getByRole('status')
      .filter({ hasText: fill(es.deletion.doneAdmin, { email: GONE }) })
      .waitFor();
    assert.equal(await row.count(), 0, 'the list was reloaded without the account');
    assert.equal(await t.s.users.findByEmail(GONE), undefined);
  });

  it('with self deletion on, a person deletes their own account from the security page and lands on the sign-in page, told so', async () => {
    await t.s.settings.update({ selfDeletion: true });
    const page = await signedIn(SELF, es);
    await page.getByRole('link', { name: es.deletion.open }).click();
    await page.getByRole('heading', { name: es.deletion.deleteAccount }).waitFor();
    await page.getByRole('button', { name: es.deletion.deleteAccount }).click();
    const dialog = page.getByRole('alertdialog', { name: es.deletion.deleteYours });
    const remove = dialog.getByRole('button', { name: es.deletion.deleteAccount });
    assert.equal(await remove.isDisabled(), true);
    await axeDialog(page, 'the own deletion dialog (es)');
    await dialog.getByLabel(fill(es.deletion.typeYourEmail, { email: SELF })).fill(SELF);
    await page.keyboard.press('Enter');
    await stepUp(page, es);
    await page.getByRole('status').filter({ hasText: es.signedOut.accountDeleted }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/sign-in');
    assert.equal(await t.s.users.findByEmail(SELF), undefined);
    // Said once: the page after a reload is the plain sign-in page.
    await page.reload();
    await page.locator('#email').waitFor();
    assert.equal(await page.locator('[data-signed-out-notice]').count(), 0);
  });
});
