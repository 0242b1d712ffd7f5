// A page guarded by Apache 2.4 with Debian's mod_auth_openidc, which signs people in through
// Gatehouse as its OpenID Connect provider (an RP nobody here wrote). Chromium opens the page,
// lands on Gatehouse's sign-in, signs in with the password and an app code, and comes back to the
// page showing the email from the ID token. An application that requires 2FA sends an account
// without it to enrolment instead. A location configured with prompt=login and acr_values=mfa
// (docs/oidc.md) asks the signed-in browser for its password and code again. Apache runs in the foreground from its own config file and
// temp folder, never through systemd.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { skipUnless } from '../../src/test-support/databases.js';
import { chromiumSkip, launchChromium } from '../../src/test-support/browser.js';
import { Client, STRONG_PASSWORD, seedUser, startTestApp } from '../../src/test-support/harness.js';
import { freePort, startServerProcess, type ServerProcess, realClock } from '../../src/test-support/processes.js';
import { phoneCode } from '../../src/test-support/authenticator.js';
import { WEB_DIST } from '../../src/app.js';

const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';
const skip =
  skipUnless(fs.existsSync(APACHE), 'Apache: /usr/sbin/apache2 is missing (apt-get install apache2)') ??
  skipUnless(fs.existsSync(`${MODULES}/mod_auth_openidc.so`), 'mod_auth_openidc: missing (apt-get install libapache2-mod-auth-openidc)') ??
  chromiumSkip ??
  skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)');

interface Site {
  port: number;
  clientId: string;
  clientSecret: string;
  /** Directives for the vhost (OIDCAuthRequestParams) and the guarded location's Require line. */
  extra?: string;
  require?: string;
}

/** Virtual hosts, one application each: the second requires 2FA, the third asks prompt=login and acr_values=mfa. */
function apacheConfig(dir: string, gatehouse: string, sites: Site[]): string {
  const asRoot = process.getuid?.() === 0;
  const vhosts = sites.map(
    (site) => `
Listen 127.0.0.1:${site.port}
<VirtualHost 127.0.0.1:${site.port}>
  ServerName 127.0.0.1
  DocumentRoot ${dir}/www
  OIDCProviderMetadataURL ${gatehouse}/.well-known/openid-configuration
  OIDCClientID ${site.clientId}
  OIDCClientSecret ${site.clientSecret}
  OIDCRedirectURI http://127.0.0.1:${site.port}/protected/redirect_uri
  OIDCCryptoPassphrase ${randomBytes(16).toString('hex')}
  OIDCScope "openid email"
  OIDCPKCEMethod S256
  OIDCProviderTokenEndpointAuth client_secret_basic
  ${site.extra ?? ''}
  <Location /protected>
    AuthType openid-connect
    ${site.require ?? 'Require valid-user'}
  </Location>
</VirtualHost>`,
  );
  return `
ServerRoot ${dir}
PidFile ${dir}/apache.pid
ErrorLog ${dir}/error.log
LogLevel warn
DefaultRuntimeDir ${dir}
Mutex file:${dir} default
${asRoot ? 'User www-data\nGroup www-data' : ''}
LoadModule mpm_prefork_module ${MODULES}/mod_mpm_prefork.so
LoadModule authz_core_module ${MODULES}/mod_authz_core.so
LoadModule authz_user_module ${MODULES}/mod_authz_user.so
LoadModule authn_core_module ${MODULES}/mod_authn_core.so
LoadModule mime_module ${MODULES}/mod_mime.so
TypesConfig /dev/null
LoadModule include_module ${MODULES}/mod_include.so
LoadModule auth_openidc_module ${MODULES}/mod_auth_openidc.so
ServerName 127.0.0.1
OIDCCacheType shm
<Directory ${dir}/www>
  Options +Includes
  AddType text/html .shtml
  AddOutputFilter INCLUDES .shtml
  Require all granted
</Directory>
${vhosts.join('\n')}
`;
}

describe('OpenID Connect: Apache mod_auth_openidc signs in through Gatehouse', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-apache-'));
  let gatehouse: ServerProcess;
  let apache: ChildProcess;
  let browser: Browser;
  let page: Page;
  let key = '';
  let open: Site;
  let strict: Site;
  let sensitive: Site;

  before(async () => {
    const url = `sqlite:${path.join(dir, 'gatehouse.db')}`;
    const masterKey = randomBytes(32);
    const ports = [await freePort(), await freePort(), await freePort()];
    const seed = await startTestApp({ url, masterKey, clock: realClock });
    await seedUser(seed.s, 'carol@example.com');
    await seedUser(seed.s, 'dave@example.com');
    const c = new Client(seed.app);
    await c.signIn('carol@example.com');
    await c.stepUp();
    key = (await c.post('/api/me/2fa/setup')).body.key;
    assert.equal((await c.post('/api/me/2fa/enable', { code: phoneCode(key, Date.now()) })).status, 200);
    const make = async (port: number, require2fa: boolean): Promise<Site> => {
      const made = await seed.s.clients.create(
        { name: require2fa ? 'Vault' : 'Wiki', redirectUris: [`http://127.0.0.1:${port}/protected/redirect_uri`], trusted: true, require2fa },
        null,
        null,
      );
      return { port, clientId: made.client_id, clientSecret: made.client_secret! };
    };
    open = await make(ports[0]!, false);
    strict = await make(ports[1]!, true);
    // docs/oidc.md's settings for a location that wants a fresh proof with two factors.
    sensitive = {
      ...(await make(ports[2]!, false)),
      extra: 'OIDCAuthRequestParams "prompt=login&acr_values=mfa"',
      require: 'Require claim acr:mfa',
    };
    await seed.close();

    gatehouse = await startServerProcess({ GATEHOUSE_DATABASE_URL: url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') });
    fs.mkdirSync(path.join(dir, 'www', 'protected'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'www', 'protected', 'index.shtml'),
      '<!doctype html><title>Protected</title><h1>Protected page</h1><p id="who"><!--#echo var="OIDC_CLAIM_email" --></p>\n',
    );
    fs.writeFileSync(path.join(dir, 'apache.conf'), apacheConfig(dir, gatehouse.baseUrl, [open, strict, sensitive]));
    // Apache's children (www-data when run as root) read the page.
    for (const p of [dir, path.join(dir, 'www'), path.join(dir, 'www', 'protected')]) fs.chmodSync(p, 0o755);
    fs.chmodSync(path.join(dir, 'www', 'protected', 'index.shtml'), 0o644);
    apache = spawn(APACHE, ['-X', '-f', path.join(dir, 'apache.conf')], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (apache.exitCode !== null) throw new Error(`apache exited: ${fs.readFileSync(path.join(dir, 'error.log'), 'utf8')}`);
      if (
        await fetch(`http://127.0.0.1:${open.port}/`).then(
          () => true,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(15_000);
  });

  after(async () => {
    await browser?.close();
    apache?.kill('SIGTERM');
    await gatehouse?.stop();
    if (process.env.GATEHOUSE_KEEP_APACHE_LOG) process.stderr.write(fs.readFileSync(path.join(dir, 'error.log'), 'utf8'));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the page from an anonymous visitor: Apache sends them to Gatehouse', async () => {
    // Over node:http, as a browser navigating: mod_auth_openidc answers scripts (fetch says
    // Sec-Fetch-Mode: cors) with 401 rather than a redirect.
    const response = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get(`http://127.0.0.1:${open.port}/protected/index.shtml`, { headers: { accept: 'text/html' } }, resolve).on('error', reject),
    );
    response.resume();
    assert.equal(response.statusCode, 302);
    assert.ok(String(response.headers.location).startsWith(`${gatehouse.baseUrl}/oidc/auth?`), response.headers.location);
  });

  it('signs in with password and app code and lands on the page with the email from the ID token', async () => {
    await page.goto(`http://127.0.0.1:${open.port}/protected/index.shtml`);
    await page.waitForURL(/\/interaction\//);
    await page.getByText('Wiki asks Gatehouse to sign you in.').waitFor();
    await page.getByLabel('Email').fill('carol@example.com');
    await page.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Authentication code').fill(phoneCode(key, Date.now() + 30_000));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`http://127.0.0.1:${open.port}/protected/index.shtml`);
    assert.equal(await page.locator('#who').textContent(), 'carol@example.com');
  });

  it('sends an account without 2FA to enrolment when the application requires it, and never to the page', async () => {
    const context = await browser.newContext();
    const other = await context.newPage();
    other.setDefaultTimeout(15_000);
    try {
      await other.goto(`http://127.0.0.1:${strict.port}/protected/index.shtml`);
      await other.waitForURL(/\/interaction\//);
      await other.getByLabel('Email').fill('dave@example.com');
      await other.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
      await other.getByRole('button', { name: 'Sign in' }).click();
      await other.getByRole('heading', { name: 'Vault requires two-factor authentication' }).waitFor();
      // Enrolling needs a step-up even here (a session from a password alone is what a stolen cookie is).
      const dialog = other.getByRole('dialog', { name: 'Confirm it is you' });
      await dialog.getByLabel('Your password').fill(STRONG_PASSWORD);
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await other.getByRole('button', { name: "Can't scan a QR code?" }).waitFor();
      assert.match(other.url(), /\/interaction\//);
      const direct = await context.request.get(`http://127.0.0.1:${strict.port}/protected/index.shtml`, { maxRedirects: 0, headers: { accept: 'text/html' } });
      assert.equal(direct.status(), 302, 'still no access to the page');
    } finally {
      await context.close();
    }
  });

  it('prompt=login with acr_values=mfa (OIDCAuthRequestParams): the signed-in browser is asked for its password and code again, and Require claim acr:mfa lets it in', async () => {
    // The browser of the test above is signed in to Gatehouse; the cookie alone is not enough here.
    await page.goto(`http://127.0.0.1:${sensitive.port}/protected/index.shtml`);
    await page.waitForURL(/\/interaction\//);
    await page.getByRole('heading', { name: 'Wiki asks you to confirm it is you' }).waitFor();
    await page.getByLabel('Your password').fill(STRONG_PASSWORD);
    await page.getByLabel('Code from the app or a backup code').fill(phoneCode(key, Date.now() + 60_000));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`http://127.0.0.1:${sensitive.port}/protected/index.shtml`);
    assert.equal(await page.locator('#who').textContent(), 'carol@example.com');
  });
});
