// Getting people in, in a real Chromium against a real `gatehouse serve` on a fresh database (SQLite,
// then PostgreSQL), with a real SMTP server (smtp-server on loopback) catching the mail: the setup
// link from the server's log → the first administrator → 2FA enrolment straight away; an invitation
// in Spanish with 2FA required → the password → enrolment before anything else; a used, a withdrawn
// and an expired link each saying so. axe-core checks each new page at 1280 and 390 px, in both
// languages. The server keeps the real time, as the browser does; the expired link is made by
// moving its expiry into the past in the database (a clock the test cannot move in a real process).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumSkip, launchChromium } from '../../src/test-support/browser.js';
import { DIALECTS, skipUnless, type TestDatabase } from '../../src/test-support/databases.js';
import { freePort, realClock, startServerProcess, type ServerProcess } from '../../src/test-support/processes.js';
import { startSmtp, type TestSmtp, tokenOf } from '../../src/test-support/smtp.js';
import { phoneCode } from '../../src/test-support/authenticator.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { WEB_DIST } from '../../src/app.js';

const skip = chromiumSkip ?? skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)');

const ROOT = 'root@example.com';
const ROOT_PASSWORD = 'the-first-administrator-77';
const ANA_PASSWORD = 'la-contraseña-de-ana-2026';
const VIEWPORTS = [
  { width: 1280, height: 900 },
  { width: 390, height: 844 },
] as const;

for (const dialect of DIALECTS) {
  describe(`getting people in, in Chromium (${dialect.name})`, { skip: skip ?? dialect.skip }, () => {
    let database: TestDatabase;
    let observer: Database;
    let smtp: TestSmtp;
    let server: ServerProcess;
    let browser: Browser;
    let admin: Page;
    let base = '';
    let setupLink = '';
    let rootKey = '';

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

    /** axe-core on the page as it is now, at both widths, in the language it shows. */
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

    /** The header's En / Es switch, then axe-core in that language. */
    async function inLanguage(page: Page, language: 'en' | 'es', state: string) {
      await page.getByRole('button', { name: language === 'es' ? 'Es' : 'En', exact: true }).click();
      await page.locator(`html[lang="${language}"]`).waitFor({ state: 'attached' });
      await axe(page, `${state} (${language})`);
    }

    async function freshContext(locale = 'en-US'): Promise<{ context: BrowserContext; page: Page }> {
      const context = await browser.newContext({ locale });
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      return { context, page };
    }

    it('sets up the first administrator with the link from the log, then enrols 2FA straight away', async () => {
      const printed = /"setupLink":"([^"]+)"/.exec(server.output())?.[1];
      assert.ok(printed, `the setup link is in the log:\n${server.output()}`);
      assert.ok(server.output().includes(`  ${printed}\n`), 'and on the console as is');
      setupLink = printed;

      // Without the token, or with a wrong one: nothing to set up, and how to get a link.
      const { context, page } = await freshContext();
      await page.goto(`${base}/setup`);
      await page.getByRole('alert').filter({ hasText: 'This setup link is not valid.' }).waitFor();
      await page.goto(`${base}/setup?token=${'A'.repeat(43)}`);
      await page.getByRole('alert').filter({ hasText: 'This setup link is not valid.' }).waitFor();
      await page.getByText('gatehouse setup-link').first().waitFor();
      assert.equal(await page.getByLabel('Email').count(), 0, 'no form without a good link');
      await context.close();

      await admin.goto(setupLink);
      await admin.getByRole('heading', { name: 'Set up Gatehouse' }).waitFor();
      await axe(admin, 'setup form (en)');
      await inLanguage(admin, 'es', 'setup form');
      await admin.getByRole('heading', { name: 'Configura Gatehouse' }).waitFor();
      await admin.getByRole('button', { name: 'En', exact: true }).click();
      await admin.getByLabel('Email').fill(ROOT);
      await admin.getByLabel('Password', { exact: true }).fill('short');
      await admin.getByRole('button', { name: 'Create the administrator' }).click();
      // The browser's own minimum length stops it first; the server's rule is the same (tested over HTTP).
      assert.equal(
        await observer.db
          .selectFrom('users')
          .select('id')
          .execute()
          .then((r) => r.length),
        0,
      );
      await admin.getByLabel('Password', { exact: true }).fill(ROOT_PASSWORD);
      await admin.getByRole('button', { name: 'Create the administrator' }).click();
      await admin
        .getByRole('status')
        .filter({ hasText: `You are signed in as ${ROOT}, the first administrator.` })
        .waitFor();
      await axe(admin, 'setup done (en)');

      await admin.getByRole('link', { name: 'Enable two-factor authentication' }).click();
      const dialog = admin.getByRole('dialog', { name: 'Confirm it is you' });
      await dialog.getByLabel('Your password').fill(ROOT_PASSWORD);
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await dialog.waitFor({ state: 'detached' });
      await admin.getByRole('button', { name: "Can't scan a QR code?" }).click();
      rootKey = (await admin.locator('[data-key]').getAttribute('data-key'))!;
      await admin.getByLabel('Confirmation code').fill(phoneCode(rootKey, realClock()));
      await admin.getByRole('button', { name: 'Enable', exact: true }).click();
      await Promise.all([admin.waitForEvent('download'), admin.getByRole('button', { name: 'Save to file' }).click()]);
      await admin.getByRole('button', { name: 'I confirm that the codes are saved' }).click();
      await admin.getByRole('tab', { name: 'Password and account security' }).waitFor();

      const users = await observer.db.selectFrom('users').select(['email', 'role']).execute();
      assert.deepEqual(users, [{ email: ROOT, role: 'admin' }]);

      // The same link again, in another browser: set up already.
      const second = await freshContext();
      await second.page.goto(setupLink);
      await second.page.getByRole('status').filter({ hasText: 'Gatehouse is already set up.' }).waitFor();
      await second.context.close();
    });

    it('invites in Spanish with 2FA required: the mail, the password, enrolment before anything else; the link then says it was used', async () => {
      // A new sign-in (password and app code): its session has no step-up yet.
      assert.equal(await admin.evaluate(() => fetch('/api/session', { method: 'DELETE' }).then((r) => r.status)), 204);
      await admin.goto(`${base}/sign-in`);
      await admin.getByLabel('Email').fill(ROOT);
      await admin.getByLabel('Password', { exact: true }).fill(ROOT_PASSWORD);
      await admin.getByRole('button', { name: 'Sign in' }).click();
      await admin.getByLabel('Authentication code').fill(phoneCode(rootKey, realClock() + 30_000));
      await admin.getByRole('button', { name: 'Verify' }).click();
      await admin.getByRole('tab', { name: 'Password and account security' }).waitFor();
      await admin.goto(`${base}/admin/invitations`);
      await admin.getByRole('heading', { name: 'Invitations', exact: true }).waitFor();
      await axe(admin, 'invitations (en)');
      await admin.getByLabel('People to invite').fill('ana@example.com,"Pérez, Ana"');
      await admin.getByLabel('Language of the mail and the account').selectOption('es');
      await admin.getByLabel('Require two-factor authentication from the first sign-in').check();
      await admin.getByRole('button', { name: 'Send invitations' }).click();
      // Inviting is a change that can make an administrator: a step-up first, with the app code.
      const dialog = admin.getByRole('dialog', { name: 'Confirm it is you' });
      await dialog.getByLabel('Your password').fill(ROOT_PASSWORD);
      await dialog.getByLabel('Code from the app or a backup code').fill(phoneCode(rootKey, realClock() + 60_000));
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await admin.getByRole('status').filter({ hasText: '1 invitation sent.' }).waitFor();
      const row = admin.locator('[data-invitation="ana@example.com"]');
      await row.getByText('Waiting, until').waitFor();
      await row.getByText('2FA required').waitFor();
      await inLanguage(admin, 'es', 'invitations');
      await admin.getByRole('button', { name: 'En', exact: true }).click();

      const [mail] = await smtp.waitFor(1, { to: 'ana@example.com', subject: 'Te han invitado a Gatehouse' });
      const link = `${base}/invitation?token=${tokenOf(mail!.text)}`;
      assert.ok(mail!.text.includes(link), 'the mail links to the public address');

      const ana = await freshContext('en-US');
      await ana.page.goto(link);
      // The language the administrator chose for her, though her browser says English.
      await ana.page.getByRole('heading', { name: 'Acepta tu invitación' }).waitFor();
      await ana.page.getByText('Esta cuenta necesita autenticación en dos pasos').waitFor();
      await axe(ana.page, 'invitation (es)');
      await inLanguage(ana.page, 'en', 'invitation');
      await ana.page.evaluate(() => sessionStorage.removeItem('gatehouse.language.picked'));
      await ana.page.reload();
      await ana.page.getByLabel('Contraseña nueva').fill(ANA_PASSWORD);
      await ana.page.getByRole('button', { name: 'Guardar la contraseña e iniciar sesión' }).click();

      await ana.page.waitForURL(`${base}/enrol`);
      await ana.page.getByText('Tu administrador exige la autenticación en dos pasos.').waitFor();
      const anaDialog = ana.page.getByRole('dialog', { name: 'Confirma que eres tú' });
      await anaDialog.getByLabel('Tu contraseña').fill(ANA_PASSWORD);
      await anaDialog.getByRole('button', { name: 'Confirmar' }).click();
      await anaDialog.waitFor({ state: 'detached' });
      assert.equal(await ana.page.evaluate(() => fetch('/api/me/groups').then((r) => r.status)), 403, 'nothing but enrolment yet');
      await ana.page.getByRole('button', { name: '¿No puedes escanear el código QR?' }).click();
      const anaKey = (await ana.page.locator('[data-key]').getAttribute('data-key'))!;
      await ana.page.getByLabel('Código de confirmación').fill(phoneCode(anaKey, realClock()));
      await ana.page.getByRole('button', { name: 'Activar', exact: true }).click();
      await Promise.all([ana.page.waitForEvent('download'), ana.page.getByRole('button', { name: 'Guardar en un archivo' }).click()]);
      await ana.page.getByRole('button', { name: 'Confirmo que he guardado los códigos' }).click();
      await ana.page.getByRole('tab', { name: 'Contraseña y seguridad de la cuenta' }).waitFor();
      await ana.context.close();

      const again = await freshContext();
      await again.page.goto(link);
      // A browser that has picked no language reads it in its own (the link no longer says whose it was).
      await again.page.getByRole('alert').filter({ hasText: 'This invitation was already used: sign in with the password you chose.' }).waitFor();
      await again.context.close();
      await admin.reload();
      await row.getByText('Accepted on').waitFor();
    });

    it('a withdrawn link and an expired link each say so', async () => {
      await admin.goto(`${base}/admin/invitations`);
      await admin.getByLabel('People to invite').fill('bob@example.com\ncarla@example.com');
      await admin.getByRole('button', { name: 'Send invitations' }).click();
      await admin.getByRole('status').filter({ hasText: '2 invitations sent.' }).waitFor();
      const [bobMail] = await smtp.waitFor(1, { to: 'bob@example.com', subject: 'You are invited to Gatehouse' });
      const [carlaMail] = await smtp.waitFor(1, { to: 'carla@example.com', subject: 'You are invited to Gatehouse' });

      await admin.getByRole('button', { name: 'Withdraw the invitation of bob@example.com' }).click();
      await admin.getByRole('alertdialog', { name: 'Withdraw' }).getByRole('button', { name: 'Withdraw' }).click();
      await admin.getByRole('status').filter({ hasText: 'The invitation of bob@example.com was withdrawn.' }).waitFor();
      await admin.locator('[data-invitation="bob@example.com"]').getByText('Withdrawn on').waitFor();

      // Carla's link runs out: its expiry moved into the past, as if the week had gone by.
      await observer.db
        .updateTable('invitations')
        .set({ expires_at: realClock() - 1000 })
        .where('email', '=', 'carla@example.com')
        .execute();

      const visitor = await freshContext();
      await visitor.page.goto(`${base}/invitation?token=${tokenOf(bobMail!.text)}`);
      await visitor.page.getByRole('alert').filter({ hasText: 'This invitation was withdrawn.' }).waitFor();
      await visitor.page.goto(`${base}/invitation?token=${tokenOf(carlaMail!.text)}`);
      await visitor.page.getByRole('alert').filter({ hasText: 'This invitation has expired.' }).waitFor();
      await axe(visitor.page, 'expired invitation (en)');
      await visitor.context.close();
      const created = await observer.db.selectFrom('users').select('email').where('email', 'in', ['bob@example.com', 'carla@example.com']).execute();
      assert.deepEqual(created, []);
    });
  });
}
