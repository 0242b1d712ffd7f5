// Who may go where in the admin area, in a real Chromium against a real server process (issue 27):
// an administrator creates a group behind a step-up, adds a member, names the group in a
// forward-auth rule, and asks "Can this person reach this address?" (allowed for the member,
// refused for someone else); the server's own words for bad input; the group on the Users row and
// on the member's own account page; the changes in the audit log.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { chromiumSkip, launchChromium } from '../../src/test-support/browser.js';
import { skipUnless } from '../../src/test-support/databases.js';
import { STRONG_PASSWORD, seedUser, startTestApp } from '../../src/test-support/harness.js';
import { realClock, startServerProcess, type ServerProcess } from '../../src/test-support/processes.js';
import { WEB_DIST } from '../../src/app.js';

const skip = chromiumSkip ?? skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)');

describe('web UI: groups, forward-auth rules and the access check in Chromium', { skip }, () => {
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-e2e-access-'));
  const pageErrors: string[] = [];

  before(async () => {
    const url = `sqlite:${path.join(dir, 'gatehouse.db')}`;
    const masterKey = randomBytes(32);
    const seed = await startTestApp({ url, masterKey, clock: realClock });
    await seedUser(seed.s, 'admin@example.com', 'admin');
    await seedUser(seed.s, 'alice@example.com', 'user');
    await seedUser(seed.s, 'bob@example.com', 'user');
    await seed.close();
    // No GATEHOUSE_ACCESS_DEFAULT: a new install, so hosts no application names are refused.
    server = await startServerProcess({ GATEHOUSE_DATABASE_URL: url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') });
    browser = await launchChromium();
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 900 } });
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

  async function signIn(email: string) {
    await page.goto(`${server.baseUrl}/sign-in`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('tab', { name: 'Password and account security' }).waitFor();
  }

  async function signOut(email: string) {
    await page
      .getByRole('banner')
      .getByRole('button', { name: new RegExp(email.replace('.', '\\.')) })
      .click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  }

  const adminNav = () => page.getByRole('navigation', { name: 'Administration' });
  const status = (text: string | RegExp) => page.getByRole('status').filter({ hasText: text });
  const forwardAuth = () => page.locator('[data-forward-auth]');
  const addRuleForm = () => page.getByRole('form', { name: 'Add a rule' });

  async function addRule(rule: { host: string; who: string; name?: string; path?: string }) {
    const form = addRuleForm();
    await form.getByLabel('Host', { exact: true }).fill(rule.host);
    await form.getByLabel('Path', { exact: true }).fill(rule.path ?? '/');
    await form.getByLabel('Who may enter').fill(rule.who);
    await form.getByLabel('Application name (when this rule creates it; optional)').fill(rule.name ?? '');
    await form.getByRole('button', { name: 'Add rule' }).click();
  }

  async function check(email: string, address: string): Promise<void> {
    const form = page.getByRole('form', { name: 'Can this person reach this address?' });
    await form.getByLabel('Email of the account').fill(email);
    await form.getByLabel('Address').fill(address);
    await form.getByLabel('Their session signed in with').selectOption('password');
    await form.getByRole('button', { name: 'Check' }).click();
  }

  it('creates a group after the step-up dialog, adds a member and removes one', async () => {
    await signIn('admin@example.com');
    await page.goto(`${server.baseUrl}/admin/users`);
    await adminNav().getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('heading', { name: 'Groups', level: 1 }).waitFor();
    await page.getByText('No groups yet.').waitFor();

    await page.getByLabel('Name', { exact: true }).fill('family');
    await page.getByRole('button', { name: 'Create group' }).click();
    // A fresh sign-in has not confirmed it is you: the dialog asks, then the creation goes on by itself.
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.getByLabel('Your password').fill(STRONG_PASSWORD);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await status('The group family was created.').waitFor();
    const row = page.locator('[data-group=family]');
    assert.equal(await row.getByRole('cell').nth(1).textContent(), '0');

    // The same name again: the server's 409, in its own words.
    await page.getByLabel('Name', { exact: true }).fill('family');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('alert').filter({ hasText: 'A group named "family" already exists.' }).waitFor();

    await row.getByRole('button', { name: 'Open family' }).click();
    const group = page.getByRole('region', { name: 'Group family' });
    await group.getByText('No members yet.').waitFor();
    assert.ok(await group.getByRole('heading', { name: 'Group family' }).evaluate((el) => el === document.activeElement), 'the opened group has the focus');
    for (const email of ['alice@example.com', 'bob@example.com']) {
      await group.getByLabel('Email of the account').fill(email);
      await group.getByRole('button', { name: 'Add', exact: true }).click();
      await status(`${email} was added to family.`).waitFor();
    }
    await group.getByLabel('Email of the account').fill('nobody@example.com');
    await group.getByRole('button', { name: 'Add', exact: true }).click();
    await group.getByRole('alert').filter({ hasText: 'There is no user with the email nobody@example.com.' }).waitFor();

    await group.getByRole('button', { name: 'Remove bob@example.com from family' }).click();
    await status('bob@example.com was removed from family.').waitFor();
    assert.deepEqual(await group.locator('[data-member]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-member'))), ['alice@example.com']);
    await page.locator('[data-group=family]').getByRole('cell', { name: '1', exact: true }).waitFor();
  });

  it('adds a forward-auth rule naming the group; bad input shows what the server says', async () => {
    await adminNav().getByRole('link', { name: 'Applications' }).click();
    await forwardAuth().getByText('Hosts that no application names: refused.').waitFor();
    await forwardAuth().getByText('No forward-auth applications yet: add a rule to create one.').waitFor();

    await addRule({ host: 'https://photos.example.com', who: 'group:family' });
    await addRuleForm().getByRole('alert').filter({ hasText: 'is not a host' }).waitFor();
    await addRule({ host: 'photos.example.com', who: 'group:nobody' });
    await addRuleForm().getByRole('alert').filter({ hasText: 'There is no group named "nobody".' }).waitFor();

    await addRule({ host: 'photos.example.com', who: 'group:family', name: 'Photos' });
    await status('The rule for / on photos.example.com was added.').waitFor();
    const app = forwardAuth().getByRole('region', { name: 'Photos photos.example.com' });
    const rule = app.locator('[data-rule="/"]');
    assert.equal(await rule.getByRole('cell').nth(1).textContent(), 'group family');
    assert.equal(await rule.getByRole('cell').nth(2).textContent(), 'password');

    await addRule({ host: 'photos.example.com', who: 'anyone' });
    await addRuleForm().getByRole('alert').filter({ hasText: 'photos.example.com already has a rule for /' }).waitFor();

    // A second rule, then it goes again (its confirmation first).
    await addRule({ host: 'photos.example.com', path: '/admin', who: 'user:alice@example.com' });
    await status('The rule for /admin on photos.example.com was added.').waitFor();
    assert.deepEqual(
      await app.locator('[data-rule]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-rule'))),
      ['/admin', '/'],
      'most specific first',
    );
    await app.getByRole('button', { name: 'Remove the rule for /admin on photos.example.com' }).click();
    await page.getByRole('alertdialog', { name: 'Remove rule' }).getByRole('button', { name: 'Remove rule' }).click();
    await status('The rule for /admin on photos.example.com was removed.').waitFor();
    assert.equal(await app.locator('[data-rule]').count(), 1);

    // Renamed, then back.
    await app.getByRole('button', { name: 'Rename Photos' }).click();
    await app.getByLabel('New name').fill('Photo library');
    await app.getByRole('button', { name: 'Save' }).click();
    await status('The application is now called Photo library.').waitFor();
    await forwardAuth().getByRole('region', { name: 'Photo library photos.example.com' }).waitFor();
  });

  it('answers "Can this person reach this address?": allowed for the member, refused for someone else', async () => {
    await check('alice@example.com', 'https://photos.example.com/albums/2024');
    const result = page.getByRole('region', { name: 'Result: Allowed' });
    await result.waitFor();
    assert.ok(await result.getByRole('heading').evaluate((el) => el === document.activeElement), 'the answer has the focus');
    await result.getByText('A rule lets this person in with this sign-in.').waitFor();
    await result.getByText('Photo library photos.example.com').waitFor();
    await result.getByText('/: group family, with password').waitFor();

    await check('bob@example.com', 'https://photos.example.com/albums/2024');
    const refused = page.getByRole('region', { name: 'Result: Refused' });
    await refused.waitFor();
    await refused.getByText('The rule that matched names neither this person nor any of their groups.').waitFor();

    await check('alice@example.com', 'https://wiki.example.com/');
    const other = page.getByRole('region', { name: 'Result: Refused' });
    await other.getByText('No application names this host, and the default for other hosts refuses.').waitFor();
    await other.getByText('None: no application names this host.').waitFor();
  });

  it('refuses to delete a group a rule names, with the server saying which', async () => {
    await adminNav().getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('button', { name: 'Open family' }).click();
    const group = page.getByRole('region', { name: 'Group family' });
    await group.getByRole('button', { name: 'Delete group' }).click();
    await page.getByRole('alertdialog', { name: 'Delete group' }).getByRole('button', { name: 'Delete group' }).click();
    await group.getByRole('alert').filter({ hasText: 'is named by the rule' }).waitFor();
    await page.locator('[data-group=family]').waitFor();
  });

  it('shows the groups on the Users rows, and the changes in the audit log', async () => {
    await adminNav().getByRole('link', { name: 'Users' }).click();
    await page.locator('[data-user="alice@example.com"]').waitFor();
    assert.equal(await page.locator('[data-user="alice@example.com"] [data-groups]').textContent(), 'family');
    assert.equal(await page.locator('[data-user="bob@example.com"] [data-groups]').textContent(), '');

    await adminNav().getByRole('link', { name: 'Audit log' }).click();
    const events = page.locator('[data-audit-events]');
    for (const sentence of [
      'admin@example.com created the group family',
      'admin@example.com added alice@example.com to the group family',
      'admin@example.com removed bob@example.com from the group family',
      'admin@example.com added the application Photos (photos.example.com)',
      'admin@example.com added a rule for / on photos.example.com',
      'admin@example.com removed the rule for /admin on photos.example.com',
      'admin@example.com renamed the application Photos (photos.example.com) to Photo library',
    ]) {
      await events.getByText(sentence, { exact: true }).waitFor();
    }
  });

  it("shows the member's groups on their own account page, and none for someone else", async () => {
    await signOut('admin@example.com');
    await signIn('alice@example.com');
    // The overview names them; the groups' own view lists them.
    await page.getByText('Member of family').waitFor();
    await page.getByRole('link', { name: 'View: Your groups' }).click();
    const mine = page.getByRole('region', { name: 'Your groups' });
    await mine.getByRole('listitem').first().waitFor();
    assert.deepEqual(await mine.getByRole('listitem').allTextContents(), ['family']);
    await signOut('alice@example.com');
    await signIn('bob@example.com');
    await page.getByRole('link', { name: 'View: Your groups' }).click();
    await page.getByRole('region', { name: 'Your groups' }).getByText('You are in no groups.').waitFor();
    assert.deepEqual(pageErrors, []);
  });
});
