// Sign in with another provider (issue 34) in a real Chromium, between two real `gatehouse serve`
// processes on SQLite (the same flows run on both databases over HTTP in
// src/modules/upstream/upstream.http.test.ts; a second Chromium pass on PostgreSQL added 75 s to CI
// and tested no other code): an "upstream" Gatehouse is the
// OpenID Connect provider (a confidential client registered with `gatehouse client create`, its
// redirect URI the downstream's one callback URL), the "downstream" one signs people in with it
// (`gatehouse upstream add`, discovery at once). The browser knows them by two host names
// (127.0.0.1 and localhost), so each keeps its own cookies, as two sites do. Cases: a new account
// when registration is open and none when it is closed; the link step of an existing account with
// 2FA (a wrong password refused, the right one and its code link it; the second factor is still
// asked next time; Unlink on the security page); the link step of an account whose only second
// factor is a security key (Chromium's virtual authenticator); a provider trusted for MFA skipping Gatehouse's
// second step only after an upstream sign-in with 2FA; the administrators' page adding a provider
// by discovery. axe-core checks each new page at 1280 and 390 px in English and Spanish. Everything
// runs on the real clock (a browser and two processes agree on no other); each case has its own
// accounts (uniqueEmail), so no case depends on another's leftovers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { checkAxe as axe, checkAxeInBothLanguages as axeInBoth } from '../../src/test-support/axe.js';
import { chromiumSkip, launchChromium } from '../../src/test-support/browser.js';
import { DIALECTS, skipUnless } from '../../src/test-support/databases.js';
import { GatehouseSite, SITE_ADMIN as ADMIN } from '../../src/test-support/gatehouse-site.js';
import { STRONG_PASSWORD as PASSWORD, uniqueEmail } from '../../src/test-support/harness.js';
import type { Phone } from '../../src/test-support/phone.js';
import { freePort } from '../../src/test-support/processes.js';
import { WEB_DIST } from '../../src/app.js';

const skip = chromiumSkip ?? skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)');

/** A 1×1 PNG: the logo an administrator uploads. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
/** What the upstream registers for the downstream: a confidential client whose redirect URI is the one callback URL. */
const client = async (up: GatehouseSite, down: GatehouseSite, name: string) =>
  JSON.parse(await up.cli(['client', 'create', '--name', name, '--redirect-uri', `${down.url}/api/upstream/callback`, '--trusted'])) as {
    client_id: string;
    client_secret: string;
  };

for (const dialect of DIALECTS.filter((d) => d.name === 'sqlite')) {
  describe(`sign in with another provider, in Chromium (${dialect.name})`, { skip: skip ?? dialect.skip }, () => {
    let up: GatehouseSite;
    let down: GatehouseSite;
    let browser: Browser;

    before(async () => {
      [up, down] = await Promise.all([
        freePort().then((port) => GatehouseSite.start(dialect, `http://127.0.0.1:${port}`)),
        freePort().then((port) => GatehouseSite.start(dialect, `http://localhost:${port}`)),
      ]);
      const made = await client(up, down, 'Downstream');
      for (const [name, trusted] of [
        ['Company SSO', false],
        ['Trusted SSO', true],
      ] as const) {
        const args = ['upstream', 'add', '--issuer', up.url, '--client-id', made.client_id, '--client-secret-stdin', '--name', name];
        await down.cli(trusted ? [...args, '--trusted-mfa'] : args, made.client_secret);
      }
      browser = await launchChromium(['--host-resolver-rules=MAP localhost 127.0.0.1']);
    });
    after(async () => {
      await browser?.close();
      await up?.stop();
      await down?.stop();
    });

    async function fresh(): Promise<Page> {
      const context = await browser.newContext({ locale: 'en-US' });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      return page;
    }

    /**
     * The downstream's sign-in page (`from`: with its query) → "Sign in with <provider>" → the
     * upstream's sign-in (with its code when `upstreamPhone`) → back.
     */
    async function viaProvider(page: Page, provider: string, email: string, upstreamPhone?: Phone, from = '/sign-in'): Promise<void> {
      await page.goto(`${down.url}${from}`);
      await page.getByRole('link', { name: `Sign in with ${provider}` }).click();
      await page.waitForURL((url) => url.origin === up.url && url.pathname.startsWith('/interaction/'));
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      if (upstreamPhone) {
        await page.getByLabel('Authentication code').fill(await upstreamPhone.code());
        await page.getByRole('button', { name: 'Verify' }).click();
      }
      await page.waitForURL((url) => url.origin === down.url && !url.pathname.startsWith('/api/'));
    }

    const signedInAs = async (page: Page) => {
      const session = await page.request.get(`${down.url}/api/session`);
      return session.status() === 200 ? ((await session.json()).user.email as string) : null;
    };
    const securityPage = (page: Page) => page.getByRole('tab', { name: 'Password and account security' }).waitFor();
    const setRegistration = async (registration: 'open' | 'off') =>
      assert.equal((await down.asAdmin('PUT', '/api/admin/settings/authentication', { registration })).status, 200);

    /** The link step's password, then the account's code: linked and signed in. */
    async function linkWith(page: Page, phone: Phone): Promise<void> {
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Link and sign in' }).click();
      await page.getByLabel('Authentication code').fill(await phone.code());
      await page.getByRole('button', { name: 'Verify' }).click();
      await securityPage(page);
    }

    /** A change that asks for a step-up first when the session's proof is not fresh (with the code for an account with 2FA). */
    async function confirmIfAsked(page: Page, done: ReturnType<Page['getByRole']>, code?: () => Promise<string>) {
      const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
      await Promise.race([done.waitFor(), dialog.waitFor()]);
      if (await dialog.isVisible()) {
        await dialog.getByLabel('Your password').fill(PASSWORD);
        if (code) await dialog.getByLabel('Code from the app or a backup code').fill(await code());
        await dialog.getByRole('button', { name: 'Confirm' }).click();
      }
      await done.waitFor();
    }

    it('registration open: the provider creates the account and signs it in; closed: the reason, and no account', async () => {
      await setRegistration('open');
      const newcomer = uniqueEmail('newcomer');
      await up.account(newcomer);
      const page = await fresh();
      await page.goto(`${down.url}/sign-in`);
      const button = page.getByRole('link', { name: 'Sign in with Company SSO' });
      await button.waitFor();
      assert.equal(await page.getByRole('link', { name: 'Sign in with Trusted SSO' }).count(), 1);
      assert.match((await button.getAttribute('href'))!, /^\/api\/upstream\/[0-9a-f-]{36}\/start$/);
      assert.equal(await button.locator('img').count(), 0, 'no logo uploaded: no image');
      await axeInBoth(page, 'sign-in with providers', 'Iniciar sesión con Company SSO');
      // Sent here by forward auth (?rd=, this site's own page): the provider's round trip returns there.
      const devices = `${down.url}/account/security/devices`;
      await viaProvider(page, 'Company SSO', newcomer, undefined, `/sign-in?rd=${encodeURIComponent(devices)}`);
      await page.waitForURL(devices);
      await securityPage(page);
      assert.equal(await signedInAs(page), newcomer);
      assert.equal((await down.accountsNamed(newcomer)).length, 1, 'the account exists');

      await setRegistration('off');
      const stranger = uniqueEmail('stranger');
      await up.account(stranger);
      const refused = await fresh();
      await viaProvider(refused, 'Company SSO', stranger);
      assert.equal(new URL(refused.url()).search, '?upstream_error=registration_closed');
      await refused
        .getByRole('alert')
        .filter({ hasText: 'Signing in with another provider did not work: there is no account here with the email the provider gave' })
        .waitFor();
      assert.equal(await signedInAs(refused), null);
      assert.deepEqual(await down.accountsNamed(stranger), [], 'no account created');
      await axeInBoth(refused, 'upstream error', 'No se pudo iniciar sesión con otro proveedor');
      // A code the server never sends (a link someone made up) says the generic sentence, never its own text.
      await refused.goto(`${down.url}/sign-in?upstream_error=your_account_is_deleted`);
      await refused.getByRole('alert').filter({ hasText: 'did not work: something went wrong.' }).waitFor();
    });

    it('an existing account with 2FA: the link step (a wrong password refused, then its password and code), the security page lists it, the next sign-in still asks the code', async () => {
      const email = uniqueEmail('owner');
      await up.account(email);
      const phone = await down.account(email, true);
      const page = await fresh();
      const providers = `${down.url}/account/security/providers`;
      await viaProvider(page, 'Company SSO', email, undefined, `/sign-in?rd=${encodeURIComponent(providers)}`);
      assert.equal(new URL(page.url()).search, '?upstream_link=1');
      await page
        .getByText(`Company SSO says you are ${email}. An account with this email exists here. Enter its password to link Company SSO to it.`)
        .waitFor();
      assert.equal(await signedInAs(page), null, 'never signed in on the provider’s word');
      await axeInBoth(page, 'link step', `Company SSO dice que eres ${email}`);

      await page.getByLabel('Password', { exact: true }).fill('not-the-password-at-all');
      await page.getByRole('button', { name: 'Link and sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'The email or password is not correct.' }).waitFor();
      assert.equal(await signedInAs(page), null);
      await linkWith(page, phone);
      assert.equal(await signedInAs(page), email);
      // The return address the sign-in started with, kept through the link step.
      await page.waitForURL(providers);
      await page.locator('[data-linked-providers] li').filter({ hasText: 'Company SSO' }).waitFor();

      await page.goto(`${down.url}/account`);
      const row = page.locator('.overview-row').filter({ has: page.getByRole('heading', { name: 'Linked providers' }) });
      await row.getByText('Company SSO').waitFor();
      await page.getByRole('link', { name: 'Manage: Linked providers' }).click();
      const link = page.locator('[data-linked-providers] li').filter({ hasText: 'Company SSO' });
      await link.getByText(`as ${email}`).waitFor();
      await axeInBoth(page, 'linked providers', 'Proveedores vinculados');

      // Linked now: the provider alone is not both factors (it is not trusted for MFA).
      const again = await fresh();
      await viaProvider(again, 'Company SSO', email);
      assert.equal(new URL(again.url()).search, '?upstream_step=second_factor');
      await again.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
      assert.equal(await signedInAs(again), null, 'a pending sign-in only');
      await again.getByLabel('Authentication code').fill(await phone.code());
      await again.getByRole('button', { name: 'Verify' }).click();
      await securityPage(again);
      assert.equal(await signedInAs(again), email);

      // That address opened again with no sign-in pending: the password step, saying why.
      const late = await fresh();
      await late.goto(`${down.url}/sign-in?upstream_step=second_factor`);
      await late.getByRole('alert').waitFor();
      await late.getByLabel('Email').waitFor();

      // Unlink, with a step-up (password and code): the section says none, and the overview hides it.
      await again.goto(`${down.url}/account/security/providers`);
      await again.getByRole('button', { name: 'Unlink Company SSO' }).click();
      await confirmIfAsked(again, again.getByRole('status').filter({ hasText: 'Company SSO is unlinked: it no longer signs you in.' }), () => phone.code());
      await again.getByText('No provider is linked to this account.').waitFor();
      assert.deepEqual((await (await again.request.get(`${down.url}/api/me/upstream`)).json()).links, []);
      const loaded = again.waitForResponse((r) => r.url().endsWith('/api/me/upstream'));
      await again.goto(`${down.url}/account`);
      await (await loaded).finished();
      await again.getByRole('heading', { name: 'Devices', exact: true }).waitFor();
      await again.waitForTimeout(300);
      assert.equal(await again.getByRole('heading', { name: 'Linked providers' }).count(), 0, 'no links: no section');
    });

    it('an existing account whose only second factor is a security key: the link step asks the key, and links', async () => {
      const email = uniqueEmail('key-only');
      await up.account(email);
      await down.account(email);
      const page = await fresh();
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: down.url });
      // A security key (Chromium's virtual authenticator, DevTools Protocol WebAuthn domain), registered by its owner.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: false, automaticPresenceSimulation: true },
      });
      await page.goto(`${down.url}/sign-in`);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await securityPage(page);
      await page.getByRole('link', { name: 'Manage: Security keys and passkeys' }).click();
      await page.getByRole('button', { name: 'Add a security key' }).click();
      await page.getByLabel('Name of the key').fill('Desk key');
      await page.getByRole('button', { name: 'Register the key' }).click();
      await confirmIfAsked(page, page.getByRole('list', { name: 'Backup codes' }));
      await page.getByRole('button', { name: 'Copy' }).click();
      await page.getByRole('button', { name: 'I confirm that the codes are saved' }).click();
      await page.getByText('Desk key').waitFor();
      assert.equal(await page.evaluate(() => fetch('/api/session', { method: 'DELETE' }).then((r) => r.status)), 204);

      await viaProvider(page, 'Company SSO', email);
      assert.equal(new URL(page.url()).search, '?upstream_link=1');
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Link and sign in' }).click();
      const useKey = page.getByRole('button', { name: 'Use your security key' });
      await useKey.waitFor();
      assert.equal(await page.getByRole('button', { name: 'Use a code from the app' }).count(), 0, 'no app: no app code offered');
      assert.equal(await signedInAs(page), null, 'nothing linked before the key');
      await useKey.click();
      await securityPage(page);
      assert.equal(await signedInAs(page), email);
      const links = (await (await page.request.get(`${down.url}/api/me/upstream`)).json()).links as Array<{ providerName: string }>;
      assert.deepEqual(
        links.map((l) => l.providerName),
        ['Company SSO'],
      );
    });

    it('a provider trusted for MFA: an upstream sign-in without 2FA still gets the second step; with 2FA at the upstream it skips it', async () => {
      const weak = uniqueEmail('weak');
      const strong = uniqueEmail('strong');
      await up.account(weak);
      const upstreamPhone = await up.account(strong, true);
      const phones = { [weak]: await down.account(weak, true), [strong]: await down.account(strong, true) };
      // Each proves its account once (the link step asks the code whatever the provider said).
      for (const [email, atUpstream] of [
        [weak, undefined],
        [strong, upstreamPhone],
      ] as const) {
        const page = await fresh();
        await viaProvider(page, 'Trusted SSO', email, atUpstream);
        assert.equal(new URL(page.url()).search, '?upstream_link=1');
        await linkWith(page, phones[email]!);
      }

      const withPassword = await fresh();
      await viaProvider(withPassword, 'Trusted SSO', weak);
      assert.equal(new URL(withPassword.url()).search, '?upstream_step=second_factor', 'amr pwd upstream: Gatehouse asks its own second factor');
      await withPassword.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
      assert.equal(await signedInAs(withPassword), null);

      const withCode = await fresh();
      const visited: string[] = [];
      withCode.on('framenavigated', (frame) => visited.push(frame.url()));
      await viaProvider(withCode, 'Trusted SSO', strong, upstreamPhone);
      await securityPage(withCode);
      assert.equal(await signedInAs(withCode), strong);
      assert.ok(!visited.some((url) => url.includes('upstream_step')), `no second step: ${visited.join(' ')}`);
    });

    it('the administrators’ page adds a provider by discovery (with a logo), which the sign-in page then offers; disable, trust and remove it', async () => {
      await setRegistration('off');
      const page = await fresh();
      await page.goto(`${down.url}/sign-in`);
      await page.getByLabel('Email').fill(ADMIN);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await securityPage(page);
      await page.goto(`${down.url}/admin/providers`);
      await page.getByRole('heading', { name: 'Sign-in providers' }).waitFor();
      await page.getByRole('link', { name: 'Sign-in providers' }).waitFor();
      await page.locator('[data-provider="Company SSO"]').waitFor();
      assert.equal(await page.locator('[data-callback-url]').textContent(), `${down.url}/api/upstream/callback`);
      await axeInBoth(page, 'sign-in providers', 'Proveedores de inicio de sesión');

      // What each preset asks.
      const preset = page.getByLabel('Provider', { exact: true });
      await preset.selectOption('entra');
      await page.getByLabel('Tenant ID').waitFor();
      assert.equal(await page.getByLabel('Issuer URL').count(), 0);
      assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Microsoft');
      await preset.selectOption('github');
      await page.getByLabel('GitHub Enterprise address (optional)').waitFor();
      await preset.selectOption('google');
      assert.equal(await page.getByRole('textbox', { name: /Issuer|address/ }).count(), 0);
      await preset.selectOption('oidc');
      assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), '');

      // The logo: an image of the allowed types, at most 32 KB, read here as a data: URL.
      const logo = page.getByLabel('Logo (optional)');
      await logo.setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: Buffer.alloc(33 * 1024) });
      await page.getByRole('alert').filter({ hasText: 'The logo must be 32 KB or smaller; this one is 33 KB.' }).waitFor();
      await logo.setInputFiles({ name: 'logo.gif', mimeType: 'image/gif', buffer: PNG });
      await page.getByRole('alert').filter({ hasText: 'The logo must be a PNG, JPEG, SVG or WebP image.' }).waitFor();
      await logo.setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: PNG });
      await page.getByText('The chosen logo:').waitFor();

      const made = await client(up, down, 'Lab');
      await page.getByLabel('Name', { exact: true }).fill('Lab SSO');
      await page.getByLabel('Issuer URL').fill('http://127.0.0.1:9');
      await page.getByLabel('Client ID').fill(made.client_id);
      await page.getByLabel('Client secret').fill(made.client_secret);
      await page.getByRole('button', { name: 'Add the provider' }).click();
      await confirmIfAsked(page, page.getByRole('alert').filter({ hasText: 'The provider did not answer its discovery document.' }));
      await page.getByLabel('Issuer URL').fill(up.url);
      await page.getByRole('button', { name: 'Add the provider' }).click();
      await confirmIfAsked(page, page.getByRole('status').filter({ hasText: 'Lab SSO is added: the sign-in page offers it.' }));
      const row = page.locator('[data-provider="Lab SSO"]');
      assert.equal(await row.locator('img').getAttribute('src'), `data:image/png;base64,${PNG.toString('base64')}`);
      await axe(page, 'provider added (en)');

      const visitor = await fresh();
      await visitor.goto(`${down.url}/sign-in`);
      const button = visitor.getByRole('link', { name: 'Sign in with Lab SSO' });
      await button.waitFor();
      assert.equal(await button.locator('img').getAttribute('src'), `data:image/png;base64,${PNG.toString('base64')}`);
      assert.equal(await button.locator('img').getAttribute('alt'), '', 'the name says it; the logo is decoration');
      // Its round trip works like the CLI's providers': an account of the upstream, registration closed.
      const someone = uniqueEmail('lab');
      await up.account(someone);
      await viaProvider(visitor, 'Lab SSO', someone);
      assert.equal(new URL(visitor.url()).search, '?upstream_error=registration_closed', 'the provider answered: the refusal is registration’s');

      await row.getByRole('button', { name: 'Trust Lab SSO for MFA' }).click();
      await confirmIfAsked(page, page.getByRole('status').filter({ hasText: 'Lab SSO is trusted for MFA' }));
      await row.getByRole('button', { name: 'Disable Lab SSO' }).click();
      await confirmIfAsked(page, page.getByRole('status').filter({ hasText: 'Lab SSO is disabled' }));
      const listed = (await down.asAdmin('GET', '/api/admin/upstream')).body.providers.find((p: { name: string }) => p.name === 'Lab SSO');
      assert.deepEqual([listed.enabled, listed.trustedMfa], [false, true]);
      await visitor.goto(`${down.url}/sign-in`);
      await visitor.getByRole('link', { name: 'Sign in with Company SSO' }).waitFor();
      assert.equal(await visitor.getByRole('link', { name: 'Sign in with Lab SSO' }).count(), 0, 'disabled: no button');

      await row.getByRole('button', { name: 'Remove Lab SSO' }).click();
      const dialog = page.getByRole('alertdialog', { name: 'Remove the provider' });
      await dialog.getByText('Remove Lab SSO? Every link to it goes too.').waitFor();
      await axe(page, 'remove dialog (en)');
      await dialog.getByRole('button', { name: 'Remove' }).click();
      await confirmIfAsked(page, page.getByRole('status').filter({ hasText: 'Lab SSO is removed.' }));
      assert.equal(await row.count(), 0);
    });
  });
}
