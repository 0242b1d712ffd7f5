// Self-registration in a real Chromium against a real `gatehouse serve` (SQLite, then PostgreSQL),
// with a real SMTP server catching the mail: an administrator opens registration to one domain
// with approval; the sign-in page then offers "Create an account"; an address elsewhere is told the
// domains; an address at the domain gets a link, and a known address the same page (its owner gets
// a mail saying they already have an account); the link → a password → waiting for approval, and
// signing in says so; the administrator approves on the Users page; then it signs in. axe-core
// checks each new page at 1280 and 390 px in both languages. The server keeps the real time.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumSkip, launchChromium } from '../../src/test-support/browser.js';
import { DIALECTS, skipUnless, type TestDatabase } from '../../src/test-support/databases.js';
import { freePort, startServerProcess, type ServerProcess } from '../../src/test-support/processes.js';
import { matching, startSmtp, type TestSmtp, tokenOf } from '../../src/test-support/smtp.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { WEB_DIST } from '../../src/app.js';

const skip = chromiumSkip ?? skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)');

const ROOT = 'root@example.com';
const ROOT_PASSWORD = 'the-first-administrator-77';
const NINA = 'nina@example.com';
const NINA_PASSWORD = 'ninas-own-password-2026';
const VIEWPORTS = [
  { width: 1280, height: 900 },
  { width: 390, height: 844 },
] as const;

for (const dialect of DIALECTS) {
  describe(`self-registration, in Chromium (${dialect.name})`, { skip: skip ?? dialect.skip }, () => {
    let database: TestDatabase;
    let observer: Database;
    let smtp: TestSmtp;
    let server: ServerProcess;
    let browser: Browser;
    let admin: Page;
    let base = '';

    before(async () => {
      database = await dialect.create();
      smtp = await startSmtp();
      base = `http://localhost:${await freePort()}`;
      server = await startServerProcess({
        GATEHOUSE_DATABASE_URL: database.url,
        GATEHOUSE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        GATEHOUSE_PUBLIC_URL: base,
        GATEHOUSE_PORT: new URL(base).port,
        GATEHOUSE_SMTP_URL: smtp.url,
      });
      observer = openDatabase(database.url);
      browser = await launchChromium(['--host-resolver-rules=MAP localhost 127.0.0.1']);
      ({ page: admin } = await freshContext());
    });
    after(async () => {
      await browser?.close();
      await server?.stop();
      await smtp?.stop();
      await observer?.close();
      await database?.drop();
    });

    async function axe(page: Page, state: string): Promise<void> {
      const found: string[] = [];
      for (const viewport of VIEWPORTS) {
        await page.setViewportSize(viewport);
        const result = await new AxeBuilder({ page }).analyze();
        for (const v of result.violations)
          found.push(`${state} at ${viewport.width}: ${v.id} ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
      }
      await page.setViewportSize(VIEWPORTS[0]);
      assert.deepEqual(found, []);
    }

    /** axe-core in Spanish, then back to English (the header's switch). */
    async function axeInBoth(page: Page, state: string) {
      await axe(page, `${state} (en)`);
      await page.getByRole('button', { name: 'Es', exact: true }).click();
      await page.locator('html[lang="es"]').waitFor({ state: 'attached' });
      await axe(page, `${state} (es)`);
      await page.getByRole('button', { name: 'En', exact: true }).click();
      await page.locator('html[lang="en"]').waitFor({ state: 'attached' });
    }

    async function freshContext(): Promise<{ context: BrowserContext; page: Page }> {
      const context = await browser.newContext({ locale: 'en-US' });
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      return { context, page };
    }

    /** Saves or approves: the step-up dialog comes first when the session's proof is not fresh. */
    async function confirmIfAsked(page: Page, done: ReturnType<Page['getByRole']>) {
      const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
      await Promise.race([done.waitFor(), dialog.waitFor()]);
      if (await dialog.isVisible()) {
        await dialog.getByLabel('Your password').fill(ROOT_PASSWORD);
        await dialog.getByRole('button', { name: 'Confirm' }).click();
      }
      await done.waitFor();
    }

    it('opens registration to one domain with approval; the sign-in page then offers it', async () => {
      const setupLink = /"setupLink":"([^"]+)"/.exec(server.output())?.[1];
      assert.ok(setupLink, 'the setup link is in the log');
      await admin.goto(setupLink);
      await admin.getByLabel('Email').fill(ROOT);
      await admin.getByLabel('Password', { exact: true }).fill(ROOT_PASSWORD);
      await admin.getByRole('button', { name: 'Create the administrator' }).click();
      await admin.getByRole('status').filter({ hasText: 'the first administrator' }).waitFor();

      const visitor = await freshContext();
      await visitor.page.goto(`${base}/sign-in`);
      await visitor.page.getByRole('button', { name: 'Sign in' }).waitFor();
      assert.equal(await visitor.page.getByRole('link', { name: 'Create an account' }).count(), 0, 'registration is off by default');
      await visitor.page.goto(`${base}/register`);
      await visitor.page.getByRole('status').filter({ hasText: 'Registration is not open here.' }).waitFor();
      await visitor.context.close();

      await admin.goto(`${base}/admin/settings`);
      await admin.getByLabel('People may register themselves').selectOption('approval');
      await admin.getByLabel('Allowed email domains').fill('Example.com');
      await axeInBoth(admin, 'settings with registration');
      await admin.getByRole('button', { name: 'Save' }).click();
      await confirmIfAsked(admin, admin.getByRole('status').filter({ hasText: 'Settings saved.' }));
      await admin.reload();
      assert.equal(await admin.getByLabel('Allowed email domains').inputValue(), 'example.com', 'saved as the domain is compared');
    });

    it('registers: the domain limit, the link, the password, then waiting for approval', async () => {
      const { context, page } = await freshContext();
      await page.goto(`${base}/sign-in`);
      await page.getByRole('link', { name: 'Create an account' }).click();
      await page.getByRole('heading', { name: 'Create an account' }).waitFor();
      await page.getByText('Only addresses at example.com can register.').waitFor();
      await axeInBoth(page, 'register');

      await page.getByLabel('Email').fill('eve@elsewhere.net');
      await page.getByRole('button', { name: 'Send the link' }).click();
      await page.getByRole('alert').filter({ hasText: 'Registration is open only to addresses at example.com.' }).waitFor();

      await page.getByLabel('Email').fill(NINA);
      await page.getByRole('button', { name: 'Send the link' }).click();
      const sent = page.getByRole('status').filter({ hasText: `If ${NINA} can register, a link is on its way to it.` });
      await sent.waitFor();
      await axe(page, 'link sent (en)');
      const [mail] = await smtp.waitFor(1, { to: NINA, subject: 'Confirm your address to create your account' });
      const link = `${base}/register?token=${tokenOf(mail!.text)}`;
      assert.ok(mail!.text.includes(link));
      assert.deepEqual(await observer.db.selectFrom('users').select('email').where('email', '=', NINA).execute(), [], 'no account before the link');

      await page.goto(link);
      await page.getByRole('heading', { name: 'Finish creating your account' }).waitFor();
      await page.getByText('An administrator approves new accounts').waitFor();
      await axeInBoth(page, 'choose a password');
      await page.getByLabel('Your name (optional)').fill('Nina Simone');
      await page.getByLabel('New password').fill(NINA_PASSWORD);
      await page.getByRole('button', { name: 'Create the account' }).click();
      await page.getByRole('heading', { name: 'Your account is waiting for approval' }).waitFor();
      await axe(page, 'waiting (en)');

      await page.goto(`${base}/sign-in`);
      await page.getByLabel('Email').fill(NINA);
      await page.getByLabel('Password', { exact: true }).fill(NINA_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'Your account is waiting for an administrator to approve it.' }).waitFor();
      await context.close();
      await smtp.waitFor(1, { to: ROOT, subject: 'A new account is waiting for your approval' });
    });

    it('a known address gets the same page; its owner is told by mail, with no link to register', async () => {
      const { context, page } = await freshContext();
      await page.goto(`${base}/register`);
      await page.getByLabel('Email').fill(ROOT);
      await page.getByRole('button', { name: 'Send the link' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `If ${ROOT} can register, a link is on its way to it.` })
        .waitFor();
      const [mail] = await smtp.waitFor(1, { to: ROOT, subject: 'You already have an account' });
      assert.doesNotMatch(mail!.text, /register\?token=/);
      assert.equal(matching(smtp.received, { to: ROOT, subject: 'Confirm your address to create your account' }).length, 0);
      await context.close();
    });

    it('the administrator approves on the Users page; the account then signs in', async () => {
      await admin.goto(`${base}/admin/users`);
      const row = admin.getByRole('row').filter({ hasText: NINA });
      await row.getByText('Awaiting approval').waitFor();
      await axe(admin, 'users with one awaiting approval (en)');
      await row.getByRole('button', { name: `Actions for ${NINA}` }).click();
      await admin.getByRole('menuitem', { name: 'Approve' }).click();
      await confirmIfAsked(admin, admin.getByRole('status').filter({ hasText: `${NINA} is approved and can sign in.` }));
      assert.equal(await row.getByText('Awaiting approval').count(), 0);
      await smtp.waitFor(1, { to: NINA, subject: 'Your account is approved' });

      const { context, page } = await freshContext();
      await page.goto(`${base}/sign-in`);
      await page.getByLabel('Email').fill(NINA);
      await page.getByLabel('Password', { exact: true }).fill(NINA_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('tab', { name: 'Password and account security' }).waitFor();
      await context.close();
      const [nina] = await observer.db.selectFrom('users').select(['display_name', 'awaiting_approval']).where('email', '=', NINA).execute();
      assert.deepEqual(nina, { display_name: 'Nina Simone', awaiting_approval: 0 });
    });
  });
}
