// Apache 2.4 with Debian's mod_auth_openidc guarding a location with `Require claim groups:family`,
// from the `groups` claim Gatehouse puts in the ID token (and userinfo) when the `groups` scope is
// asked: Alice (in family) signs in through Gatehouse in Chromium and sees the page, and the page
// sees her groups; Bob signs in just as well but Apache refuses him (its own 401/403), because his
// token says no family. Gatehouse does not restrict this application itself (that is the
// openid-client test's case): the decision here is Apache's, from the claim. Apache runs in the
// foreground from its own config file and temp folder on a free port, never through systemd.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { skipUnless } from '../../src/test-support/databases.js';
import { chromiumSkip, launchChromium } from '../../src/test-support/browser.js';
import { STRONG_PASSWORD, seedUser, startTestApp } from '../../src/test-support/harness.js';
import { freePort, startServerProcess, type ServerProcess, realClock } from '../../src/test-support/processes.js';
import { WEB_DIST } from '../../src/app.js';

const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';
const skip =
  skipUnless(fs.existsSync(APACHE), 'Apache: /usr/sbin/apache2 is missing (apt-get install apache2)') ??
  skipUnless(fs.existsSync(`${MODULES}/mod_auth_openidc.so`), 'mod_auth_openidc: missing (apt-get install libapache2-mod-auth-openidc)') ??
  chromiumSkip ??
  skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)');

/** The configuration docs/oidc.md shows, with the test's addresses. */
function apacheConfig(dir: string, gatehouse: string, port: number, client: { id: string; secret: string }): string {
  const asRoot = process.getuid?.() === 0;
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
Listen 127.0.0.1:${port}
<VirtualHost 127.0.0.1:${port}>
  ServerName 127.0.0.1
  DocumentRoot ${dir}/www
  OIDCProviderMetadataURL ${gatehouse}/.well-known/openid-configuration
  OIDCClientID ${client.id}
  OIDCClientSecret ${client.secret}
  OIDCRedirectURI http://127.0.0.1:${port}/family/redirect_uri
  OIDCCryptoPassphrase ${randomBytes(16).toString('hex')}
  OIDCScope "openid email groups"
  OIDCPKCEMethod S256
  OIDCProviderTokenEndpointAuth client_secret_basic
  <Location /family>
    AuthType openid-connect
    Require claim groups:family
  </Location>
</VirtualHost>
`;
}

describe('OpenID Connect: Apache mod_auth_openidc lets in the family group, from the groups claim Gatehouse issued', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-apache-groups-'));
  let gatehouse: ServerProcess;
  let apache: ChildProcess;
  let browser: Browser;
  let port = 0;
  const page = () => `http://127.0.0.1:${port}/family/index.shtml`;

  before(async () => {
    const url = `sqlite:${path.join(dir, 'gatehouse.db')}`;
    const masterKey = randomBytes(32);
    port = await freePort();
    const seed = await startTestApp({ url, masterKey, clock: realClock });
    const alice = await seedUser(seed.s, 'alice@example.com');
    await seedUser(seed.s, 'bob@example.com');
    const family = await seed.s.groups.create('family', 'cli', null);
    const friends = await seed.s.groups.create('friends', 'cli', null);
    await seed.s.groups.addMember(family.id, alice.id, 'cli', null);
    await seed.s.groups.addMember(friends.id, alice.id, 'cli', null);
    const made = await seed.s.clients.create({ name: 'Album', redirectUris: [`http://127.0.0.1:${port}/family/redirect_uri`], trusted: true }, null, null);
    await seed.close();

    gatehouse = await startServerProcess({ GATEHOUSE_DATABASE_URL: url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') });
    fs.mkdirSync(path.join(dir, 'www', 'family'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'www', 'family', 'index.shtml'),
      '<!doctype html><title>Family</title><h1>Family album</h1><p id="who"><!--#echo var="OIDC_CLAIM_email" --></p>' +
        '<p id="groups"><!--#echo var="OIDC_CLAIM_groups" --></p>\n',
    );
    fs.writeFileSync(path.join(dir, 'apache.conf'), apacheConfig(dir, gatehouse.baseUrl, port, { id: made.client_id, secret: made.client_secret! }));
    for (const p of [dir, path.join(dir, 'www'), path.join(dir, 'www', 'family')]) fs.chmodSync(p, 0o755);
    fs.chmodSync(path.join(dir, 'www', 'family', 'index.shtml'), 0o644);
    apache = spawn(APACHE, ['-X', '-f', path.join(dir, 'apache.conf')], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (apache.exitCode !== null) throw new Error(`apache exited: ${fs.readFileSync(path.join(dir, 'error.log'), 'utf8')}`);
      if (
        await fetch(`http://127.0.0.1:${port}/`).then(
          () => true,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    apache?.kill('SIGTERM');
    await gatehouse?.stop();
    if (process.env.GATEHOUSE_KEEP_APACHE_LOG) process.stderr.write(fs.readFileSync(path.join(dir, 'error.log'), 'utf8'));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Opens the page in a fresh browser, signs in on Gatehouse's page, and answers the page's final response. */
  async function visit(email: string) {
    const context = await browser.newContext();
    const tab = await context.newPage();
    tab.setDefaultTimeout(15_000);
    const statuses: number[] = [];
    tab.on('response', (response) => {
      if (response.url() === page() && response.request().isNavigationRequest()) statuses.push(response.status());
    });
    await tab.goto(page());
    await tab.waitForURL(/\/interaction\//);
    await tab.getByText('Album asks Gatehouse to sign you in.').waitFor();
    await tab.getByLabel('Email').fill(email);
    await tab.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await tab.waitForURL(page());
    await tab.waitForLoadState('load');
    return { context, tab, statuses };
  }

  it('lets Alice in: her ID token says groups ["family", "friends"]', async () => {
    const { context, tab, statuses } = await visit('alice@example.com');
    try {
      assert.equal(statuses.at(-1), 200);
      assert.equal(await tab.locator('h1').textContent(), 'Family album');
      assert.equal(await tab.locator('#who').textContent(), 'alice@example.com');
      assert.equal(await tab.locator('#groups').textContent(), 'family,friends', 'the claim as mod_auth_openidc hands it to the page');
    } finally {
      await context.close();
    }
  });

  it('refuses Bob with Apache’s own refusal: he signed in, but his groups claim has no family', async () => {
    const { context, tab, statuses } = await visit('bob@example.com');
    try {
      assert.ok([401, 403].includes(statuses.at(-1)!), `Apache refuses (got ${statuses.join(', ')})`);
      assert.equal(await tab.getByText('Family album').count(), 0, 'never the page');
      // Still refused on a second request with his mod_auth_openidc session: no loop back to Gatehouse.
      const again = await context.request.get(page(), { maxRedirects: 0, headers: { accept: 'text/html' } });
      assert.ok([401, 403].includes(again.status()), String(again.status()));
    } finally {
      await context.close();
    }
  });
});
