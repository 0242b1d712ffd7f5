// Security keys and passkeys in a real Chromium with its virtual authenticator (DevTools Protocol
// `WebAuthn` domain: a CTAP2 platform authenticator with resident keys and user verification),
// against real `gatehouse serve` processes: one on SQLite, two on one PostgreSQL behind a small
// load balancer that sends every ceremony's options to one instance and its answer to the other
// (the challenge lives in the database). The public address is http://localhost:<port> (a secure
// context, and a valid relying-party ID, which an IP address is not).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { chromiumSkip, launchChromium } from '../../src/test-support/browser.js';
import { DIALECTS, skipUnless, type TestDatabase } from '../../src/test-support/databases.js';
import { STRONG_PASSWORD, seedUser, startTestApp } from '../../src/test-support/harness.js';
import { HttpClient, freePort, realClock, startServerProcess, type ServerProcess } from '../../src/test-support/processes.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { WEB_DIST } from '../../src/app.js';
import { startProxy, stopProxy } from './loopback-proxy.js';

const skip = chromiumSkip ?? skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)');
const ANA = 'ana@example.com';
const ADMIN = 'admin@example.com';

/** A tab with its own virtual authenticator (per tab, in CDP): a passkey-capable platform authenticator. */
async function tabWithAuthenticator(context: BrowserContext): Promise<{ page: Page; cdp: CDPSession; authenticatorId: string }> {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { page, cdp, authenticatorId };
}

/** In the relay's page: the server's second-step options, signed by a browser for rpId evil.localhost, posted back. */
const SIGN_FOR_EVIL_RP = `(async () => {
  const bytes = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const text = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/[+]/g, '-').replace(/[/]/g, '_').replace(/=+$/, '');
  const options = await (await fetch('/api/session/second-factor/webauthn/options', { method: 'POST' })).json();
  const credential = await navigator.credentials.get({ publicKey: {
    challenge: bytes(options.challenge), rpId: 'evil.localhost', userVerification: 'preferred',
    allowCredentials: options.allowCredentials.map((c) => ({ type: 'public-key', id: bytes(c.id) })),
  } });
  const r = credential.response;
  const response = { id: credential.id, rawId: text(credential.rawId), type: 'public-key', clientExtensionResults: {},
    response: { clientDataJSON: text(r.clientDataJSON), authenticatorData: text(r.authenticatorData), signature: text(r.signature) } };
  const verify = await fetch('/api/session/second-factor/webauthn/verify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response }) });
  return { status: verify.status, body: await verify.json() };
})()`;

for (const dialect of DIALECTS) {
  const instances = dialect.name === 'postgres' ? 2 : 1;
  describe(`security keys and passkeys in Chromium (${dialect.name}, ${instances} instance${instances > 1 ? 's' : ''})`, { skip: skip ?? dialect.skip }, () => {
    let database: TestDatabase;
    let observer: Database;
    const servers: ServerProcess[] = [];
    let balancer: http.Server;
    let relay: http.Server;
    let browser: Browser;
    let page: Page;
    let cdp: CDPSession;
    let authenticatorId: string;
    let base = '';
    let phishing = '';

    before(async () => {
      database = await dialect.create();
      const masterKey = randomBytes(32);
      const seed = await startTestApp({ url: database.url, masterKey, clock: realClock });
      await seedUser(seed.s, ADMIN, 'admin');
      await seedUser(seed.s, ANA, 'user');
      await seed.close();
      const [port, relayPort] = [await freePort(), await freePort()];
      base = `http://localhost:${port}`;
      phishing = `http://evil.localhost:${relayPort}`;
      for (let i = 0; i < instances; i++) {
        servers.push(
          await startServerProcess({
            GATEHOUSE_DATABASE_URL: database.url,
            GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64'),
            GATEHOUSE_PUBLIC_URL: base,
          }),
        );
      }
      // Options from the first instance, everything else (the answers) from the last.
      balancer = await startProxy(port, { pick: (r) => (r.url?.endsWith('/options') ? servers[0]! : servers.at(-1)!).baseUrl });
      relay = await startProxy(relayPort, {
        pick: () => `http://127.0.0.1:${port}`,
        rewrite: { host: `localhost:${port}`, origin: base, referer: `${base}/` },
      });
      observer = openDatabase(database.url);
      browser = await launchChromium([`--host-resolver-rules=MAP localhost 127.0.0.1, MAP evil.localhost 127.0.0.1`]);
      const context = await browser.newContext({ locale: 'en-US' });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
      ({ page, cdp, authenticatorId } = await tabWithAuthenticator(context));
    });

    after(async () => {
      await browser?.close();
      await stopProxy(relay);
      await stopProxy(balancer);
      for (const server of servers) await server.stop();
      await observer?.close();
      await database?.drop();
    });

    async function signInWithPassword(origin: string) {
      await page.goto(`${origin}/sign-in`);
      await page.getByLabel('Email').fill(ANA);
      await page.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    }

    const signedIn = () => page.getByRole('tab', { name: 'Password and account security' }).waitFor();
    const signOut = () => page.evaluate(() => fetch('/api/session', { method: 'DELETE' }).then((r) => r.status));
    const sessionStatus = () => page.evaluate(() => fetch('/api/session').then((r) => r.status));
    const latestAmr = async () => {
      const row = await observer.db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .select('sessions.amr')
        .where('users.email', '=', ANA)
        .where('sessions.kind', '=', 'full')
        .orderBy('sessions.created_at', 'desc')
        .executeTakeFirst();
      return row?.amr ? (JSON.parse(row.amr) as string[]) : null;
    };
    const auditKinds = async (kind: string) =>
      (await observer.db.selectFrom('audit_events').select(['kind', 'details']).where('kind', '=', kind).where('subject_email', '=', ANA).execute()).map(
        (e) => JSON.parse(e.details) as Record<string, unknown>,
      );

    it('registers a key in Password and account security; the first factor brings 10 backup codes', async () => {
      await signInWithPassword(base);
      await signedIn();
      await page.getByRole('link', { name: 'Manage: Security keys and passkeys' }).click();
      await page.getByRole('button', { name: 'Add a security key' }).click();
      await page.getByLabel('Name of the key').fill('Laptop');
      await page.getByRole('button', { name: 'Register the key' }).click();
      // Adding a factor needs a step-up: the dialog asks for the password, then registration carries on.
      const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
      await dialog.getByLabel('Your password').fill(STRONG_PASSWORD);
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      const list = page.getByRole('list', { name: 'Backup codes' });
      await list.waitFor();
      assert.equal((await list.locator('code').allTextContents()).length, 10);
      await page.getByRole('button', { name: 'Copy' }).click();
      await page.getByRole('button', { name: 'I confirm that the codes are saved' }).click();
      await page.getByText('Laptop').waitFor();
      const mine = await page.evaluate(() => fetch('/api/me/webauthn').then((r) => r.json()));
      assert.equal(mine.keys.length, 1);
      assert.equal(mine.backupCodesLeft, 10);
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      assert.equal(credentials.length, 1);
      assert.equal(credentials[0]!.isResidentCredential, true, 'a passkey (discoverable credential)');
      assert.equal(credentials[0]!.rpId, 'localhost');
      assert.equal((await auditKinds('webauthn.registered')).length, 1);
    });

    it('signs in with the password then the key; the same assertion posted again is refused', async () => {
      assert.equal(await signOut(), 204);
      await signInWithPassword(base);
      await page.getByRole('button', { name: 'Use a backup code' }).waitFor();
      const sent = page.waitForRequest((r) => r.url().endsWith('/api/session/second-factor/webauthn/verify'));
      await page.getByRole('button', { name: 'Use your security key' }).click();
      await signedIn();
      assert.deepEqual(await latestAmr(), ['pwd', 'hwk', 'user', 'mfa']);
      const assertion = (await sent).postDataJSON() as { response: unknown };

      // Replay: a fresh pending sign-in (right password), then the captured assertion.
      const attacker = new HttpClient(base);
      const step1 = await attacker.post('/api/session', { email: ANA, password: STRONG_PASSWORD });
      assert.deepEqual(step1.body, { status: 'second_factor_required' });
      assert.deepEqual((await attacker.get('/api/session/second-factor/methods')).body, { methods: ['webauthn'] });
      const replay = await attacker.post('/api/session/second-factor/webauthn/verify', assertion);
      assert.equal(replay.status, 401);
      assert.equal(replay.body.error, 'invalid_security_key');
      assert.ok(
        (await auditKinds('webauthn.failed')).some((d) => d.reason === 'challenge'),
        'audited as a spent challenge',
      );
      assert.equal((await attacker.get('/api/session')).status, 401);
    });

    it('signs in with a passkey alone, as a full two-factor sign-in', async () => {
      assert.equal(await signOut(), 204);
      await page.goto(`${base}/sign-in`);
      await page.getByRole('link', { name: 'Sign in with a passkey' }).click();
      await signedIn();
      const me = await page.evaluate(() => fetch('/api/session').then((r) => r.json()));
      assert.equal(me.user.email, ANA);
      assert.equal(me.user.twoFactorEnabled, true);
      assert.deepEqual(await latestAmr(), ['hwk', 'user', 'mfa']);
    });

    it('refuses the key on another origin (the same pages through a phishing relay)', async () => {
      assert.equal(await signOut(), 204);
      const refusedBefore = (await auditKinds('webauthn.failed')).length;
      const verifies: string[] = [];
      page.on('request', (r) => {
        if (r.url().includes('/webauthn/verify')) verifies.push(r.url());
      });
      await signInWithPassword(phishing);
      await page.getByRole('button', { name: 'Use your security key' }).click();
      await page.getByRole('alert').waitFor();
      // The browser itself refuses: the key belongs to localhost, the page is evil.localhost.
      assert.deepEqual(verifies, [], 'no assertion was even made');
      assert.equal(await sessionStatus(), 401, 'no session for the relay');

      // A browser that would sign anyway (the same key under the relay's name): the server refuses the origin.
      const original = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials[0]!;
      await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: original.credentialId });
      await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...original, rpId: 'evil.localhost' } });
      // A script string, not a function: the test's compiler would add helpers the page does not have.
      const answer = (await page.evaluate(SIGN_FOR_EVIL_RP)) as { status: number; body: { error: string } };
      assert.equal(answer.status, 401);
      assert.equal(answer.body.error, 'invalid_security_key');
      const refusals = (await auditKinds('webauthn.failed')).slice(refusedBefore);
      assert.deepEqual(
        refusals.map((d) => d.reason),
        ['origin'],
      );
      assert.equal(await sessionStatus(), 401);
      await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: original.credentialId });
      await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: original });
    });

    it('refuses a cloned authenticator (its signature counter does not grow) and audits it', async () => {
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      const original = credentials.find((c) => c.rpId === 'localhost')!;
      const stored = await observer.db.selectFrom('webauthn_credentials').select('counter').executeTakeFirstOrThrow();
      assert.ok(Number(stored.counter) > 0, 'the virtual authenticator keeps a counter');
      const cloneContext = await browser.newContext({ locale: 'en-US' });
      const clone = await tabWithAuthenticator(cloneContext);
      await clone.cdp.send('WebAuthn.addCredential', { authenticatorId: clone.authenticatorId, credential: { ...original, signCount: 0 } });
      await clone.page.goto(`${base}/sign-in`);
      await clone.page.getByRole('link', { name: 'Sign in with a passkey' }).click();
      await clone.page.getByRole('alert').filter({ hasText: 'was not accepted' }).waitFor();
      assert.equal(await clone.page.evaluate(() => fetch('/api/session').then((r) => r.status)), 401);
      const suspected = await auditKinds('webauthn.clone_suspected');
      assert.equal(suspected.length, 1);
      assert.equal(suspected[0]!.presented, 1);
      await cloneContext.close();
    });

    it('lets the administrator see the factors and remove them all', async () => {
      const admin = new HttpClient(base);
      assert.equal((await admin.post('/api/session', { email: ADMIN, password: STRONG_PASSWORD })).body.status, 'authenticated');
      const listed = await admin.get(`/api/admin/users?q=${encodeURIComponent(ANA)}`);
      assert.deepEqual(listed.body.users[0].factors, ['webauthn']);
      assert.equal(listed.body.users[0].twoFactorEnabled, true);
      assert.equal((await admin.stepUp(STRONG_PASSWORD)).status, 204, "removing someone's factors needs a step-up");
      assert.equal((await admin.post(`/api/admin/users/${listed.body.users[0].id}/2fa/disable`)).status, 204);
      const after = await admin.get(`/api/admin/users?q=${encodeURIComponent(ANA)}`);
      assert.deepEqual(after.body.users[0].factors, []);
      const ana = new HttpClient(base);
      assert.equal((await ana.post('/api/session', { email: ANA, password: STRONG_PASSWORD })).body.status, 'authenticated', 'no factor left');
      assert.deepEqual((await ana.get('/api/me/webauthn')).body, { keys: [], backupCodesLeft: 0 });
    });
  });
}
