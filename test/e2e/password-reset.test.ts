// "Forgot password?" end to end in a real Chromium: the sign-in page's link, the email form, the
// mail as a real SMTP server (smtp-server on loopback) received it, the link, the new password,
// the second factor (a wrong code first: the link stays good), then signing in with the new
// password. A real server process (real time, as the browser has), backup codes as the factor.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromiumSkip, launchChromium } from '../../src/test-support/browser.js';
import { skipUnless } from '../../src/test-support/databases.js';
import { randomBytes } from 'node:crypto';
import { STRONG_PASSWORD, seedUser, startTestApp } from '../../src/test-support/harness.js';
import { phoneCode } from '../../src/test-support/authenticator.js';
import { HttpClient, realClock, startServerProcess, type ServerProcess } from '../../src/test-support/processes.js';
import { startSmtp, type TestSmtp } from '../../src/test-support/smtp.js';
import { WEB_DIST } from '../../src/app.js';

const NEW_PASSWORD = 'a-brand-new-passphrase-77';

const skip = chromiumSkip ?? skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)');

describe('password reset in Chromium', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-e2e-reset-'));
  let smtp: TestSmtp;
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  let baseUrl = '';

  before(async () => {
    smtp = await startSmtp();
    const url = `sqlite:${path.join(dir, 'gatehouse.db')}`;
    const masterKey = randomBytes(32);
    const seed = await startTestApp({ url, masterKey, clock: realClock });
    await seedUser(seed.s, 'lucia@example.com');
    await seed.close();
    server = await startServerProcess({ GATEHOUSE_DATABASE_URL: url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64'), GATEHOUSE_SMTP_URL: smtp.url });
    baseUrl = server.baseUrl;
    browser = await launchChromium();
    page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    page.setDefaultTimeout(10_000);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await smtp?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('requests a link, reads it from the mail, sets the password after the second factor, is signed in by it, and signs in with it later', async () => {
    const owner = new HttpClient(baseUrl);
    assert.equal((await owner.post('/api/session', { email: 'lucia@example.com', password: STRONG_PASSWORD })).status, 200);
    assert.equal((await owner.stepUp(STRONG_PASSWORD)).status, 204);
    const setup = await owner.post('/api/me/2fa/setup');
    const enabled = await owner.post('/api/me/2fa/enable', { code: phoneCode(setup.body.key, Date.now()) });
    assert.equal(enabled.status, 200);
    const [first, second] = enabled.body.backupCodes as string[];

    await page.goto(`${baseUrl}/sign-in`);
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.getByLabel('Email').fill('lucia@example.com');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByRole('status').getByText('If an account uses this email').waitFor();

    const [mail] = await smtp.waitFor(1, { to: 'lucia@example.com', subject: 'Reset your password' });
    const link = /(http:\/\/\S+\/reset-password\?token=\S+)/.exec(mail!.text)?.[1];
    assert.ok(link?.startsWith(`${baseUrl}/reset-password?token=`), mail!.text);
    await page.goto(link);
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set the password' }).click();

    // The account has 2FA: a code before the new password is taken.
    const codeField = page.getByLabel('Authentication code');
    await codeField.waitFor();
    await codeField.fill('0000-0000-0000-0000');
    await page.getByRole('button', { name: 'Set the password' }).click();
    await page.getByRole('alert').getByText('The code is not correct.').waitFor();
    await codeField.fill(first!);
    await page.getByRole('button', { name: 'Set the password' }).click();
    await page.getByRole('status').getByText('Your password is set').waitFor();
    assert.equal((await owner.get('/api/session')).status, 401, 'every session ended');

    // The reset signed this browser in (and trusts it from now on).
    await page.getByRole('link', { name: 'Continue' }).click();
    await page.getByRole('tab', { name: 'Password and account security' }).waitFor();
    await page
      .getByRole('banner')
      .getByRole('button', { name: /lucia@example\.com/ })
      .click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').fill('lucia@example.com');
    await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Authentication code').fill(second!);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('button', { name: 'Continue' }).click(); // the backup-code notice
    await page.getByRole('tab', { name: 'Password and account security' }).waitFor();
    await smtp.waitFor(1, { to: 'lucia@example.com', subject: 'Your password was reset' });
  });
});
