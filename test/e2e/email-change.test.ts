// An email change end to end in a real Chromium against a real `gatehouse serve` on a fresh
// database (SQLite, then PostgreSQL), with a real SMTP server (smtp-server on loopback) catching
// the mail: the security page's Email view → the step-up dialog → the link mailed to the new
// address, confirmed on a button press (opening it changes nothing) → signed out, signed in with
// the new address; then the link mailed to the old address, undone on a button press → signed out
// everywhere → signed in with the old address. axe-core checks the view and both link pages at
// 1280 and 390 px, in both languages. The server keeps the real time, as the browser does.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { chromiumSkip, launchChromium } from '../../src/test-support/browser.js';
import { DIALECTS, skipUnless, type TestDatabase } from '../../src/test-support/databases.js';
import { STRONG_PASSWORD, seedUser, startTestApp } from '../../src/test-support/harness.js';
import { realClock, startServerProcess, type ServerProcess } from '../../src/test-support/processes.js';
import { startSmtp, type TestSmtp, tokenOf } from '../../src/test-support/smtp.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { WEB_DIST } from '../../src/app.js';

const skip = chromiumSkip ?? skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)');

const OLD = 'mia@example.com';
const NEW = 'mia.new@example.com';
const VIEWPORTS = [
  { width: 1280, height: 900 },
  { width: 390, height: 844 },
] as const;

for (const dialect of DIALECTS) {
  describe(`email change in Chromium (${dialect.name})`, { skip: skip ?? dialect.skip }, () => {
    let database: TestDatabase;
    let observer: Database;
    let smtp: TestSmtp;
    let server: ServerProcess;
    let browser: Browser;
    let base = '';

    before(async () => {
      database = await dialect.create();
      const masterKey = randomBytes(32);
      const seed = await startTestApp({ url: database.url, masterKey, clock: realClock });
      await seedUser(seed.s, OLD);
      await seed.close();
      smtp = await startSmtp();
      server = await startServerProcess({
        GATEHOUSE_DATABASE_URL: database.url,
        GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64'),
        GATEHOUSE_SMTP_URL: smtp.url,
      });
      base = server.baseUrl;
      observer = openDatabase(database.url);
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
      await server?.stop();
      await smtp?.stop();
      await observer?.close();
      await database?.drop();
    });

    async function freshPage(): Promise<Page> {
      const page = await (await browser.newContext({ locale: 'en-US' })).newPage();
      page.setDefaultTimeout(10_000);
      return page;
    }

    /** axe-core on the page as it is now at both widths, in English, then in Spanish (the header's switch), then back to English. */
    async function axeBothLanguages(page: Page, state: string): Promise<void> {
      const found: string[] = [];
      await axeAt(page, `${state} (en)`, found);
      await pickLanguage(page, 'es');
      await axeAt(page, `${state} (es)`, found);
      await pickLanguage(page, 'en');
      assert.deepEqual(found, []);
    }

    async function pickLanguage(page: Page, language: 'en' | 'es'): Promise<void> {
      await page.getByRole('button', { name: language === 'es' ? 'Es' : 'En', exact: true }).click();
      await page.locator(`html[lang="${language}"]`).waitFor({ state: 'attached' });
    }

    async function axeAt(page: Page, state: string, found: string[]): Promise<void> {
      for (const viewport of VIEWPORTS) {
        await page.setViewportSize(viewport);
        const result = await new AxeBuilder({ page }).analyze();
        for (const v of result.violations)
          found.push(`${state} at ${viewport.width}: ${v.id} ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
      }
      await page.setViewportSize(VIEWPORTS[0]);
    }

    async function signIn(page: Page, email: string): Promise<void> {
      await page.goto(`${base}/sign-in`);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }

    const emailInDatabase = async () => (await observer.db.selectFrom('users').select('email').executeTakeFirstOrThrow()).email;

    it('changes the email through the step-up dialog and the link to the new address; the link to the old one undoes it and signs everyone out', async () => {
      const page = await freshPage();
      await signIn(page, OLD);
      await page.getByRole('link', { name: 'Change: Email' }).click();
      await page.getByRole('heading', { name: 'Email', exact: true }).waitFor();
      await page.getByText(`Your email is ${OLD}.`).waitFor();
      await axeBothLanguages(page, 'email view');

      await page.getByLabel('New email address').fill(NEW);
      await page.getByRole('button', { name: 'Change email' }).click();
      // A fresh sign-in is no step-up: the dialog asks for the password first.
      const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
      await dialog.getByLabel('Your password').fill(STRONG_PASSWORD);
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `We sent a link to ${NEW}. Open it to confirm.` })
        .waitFor();

      const [mail] = await smtp.waitFor(1, { to: NEW, subject: 'Confirm your new email address' });
      const confirmLink = `${base}/email-change?token=${tokenOf(mail!.text)}`;
      assert.ok(mail!.text.includes(confirmLink), 'the mail links to the public address');

      // The new mailbox, opened elsewhere: the page alone changes nothing (a mail scanner fetches links).
      const mailbox = await freshPage();
      await mailbox.goto(confirmLink);
      await mailbox.getByRole('heading', { name: 'Confirm your new email' }).waitFor();
      await axeBothLanguages(mailbox, 'confirmation page');
      assert.equal(await emailInDatabase(), OLD, 'opening the link changed nothing');
      await mailbox.getByRole('button', { name: 'Confirm the new email' }).click();
      await mailbox
        .getByRole('status')
        .filter({ hasText: `the email of your account is now ${NEW}` })
        .waitFor();
      assert.equal(await emailInDatabase(), NEW);
      await mailbox.goto(`${base}/email-change?token=not-a-token`);
      await mailbox.getByRole('alert').filter({ hasText: 'This link is not valid.' }).waitFor();

      // Signed out, the old address no longer signs in; the new one does.
      await page.reload();
      await page
        .getByRole('banner')
        .getByRole('button', { name: new RegExp(NEW.replace(/\./g, '\\.')) })
        .click();
      await page.getByRole('menuitem', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await signIn(page, OLD);
      await page.getByRole('alert').filter({ hasText: 'The email or password is not correct.' }).waitFor();
      await signIn(page, NEW);
      await page.getByRole('tab', { name: 'Password and account security' }).waitFor();

      // The old mailbox's notice: the undo link, used on the browser signed in with the new address.
      const [notice] = await smtp.waitFor(1, { to: OLD, subject: 'The email of your account was changed' });
      assert.ok(notice!.text.includes(NEW), 'the notice names the new address');
      await page.goto(`${base}/email-change/undo?token=${tokenOf(notice!.text)}`);
      await page.getByRole('heading', { name: 'Undo the email change' }).waitFor();
      await axeBothLanguages(page, 'undo page');
      await page.getByRole('button', { name: 'Undo the change' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Your email is ${OLD} again. Everyone was signed out.` })
        .waitFor();
      await page.getByRole('link', { name: 'Choose a new password' }).waitFor();
      // Signed out here too: the header has no account menu, and the client area asks to sign in.
      assert.equal(
        await page
          .getByRole('banner')
          .getByRole('button', { name: new RegExp(NEW.replace(/\./g, '\\.')) })
          .count(),
        0,
      );
      const undone: string[] = [];
      await axeAt(page, 'undone (en)', undone);
      assert.deepEqual(undone, []);
      await page.goto(`${base}/account`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      assert.equal(await emailInDatabase(), OLD);
      await signIn(page, OLD);
      await page.getByRole('tab', { name: 'Password and account security' }).waitFor();
      await page.getByText(OLD).first().waitFor();

      // A directory account (marked so in the database: there is no directory here) has no form.
      await observer.db.updateTable('users').set({ source: 'directory' }).execute();
      await page.goto(`${base}/account/security/email`);
      await page.getByText("Your email is managed by your organisation's directory: change it there.").waitFor();
      assert.equal(await page.getByLabel('New email address').count(), 0);
    });
  });
}
