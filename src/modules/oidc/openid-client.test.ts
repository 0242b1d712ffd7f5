// Gatehouse as an OpenID Connect provider, driven by a relying party nobody here wrote
// (openid-client, panva's certified RP library) against real server processes: code + PKCE, the
// ID token's signature, nonce and amr, userinfo, refresh-token rotation and reuse detection,
// RP-initiated logout ending the Gatehouse session, and a second factor where the application wants
// one. On SQLite (one instance) and across two instances sharing one PostgreSQL database, where the
// browser signs in on one and the application redeems the code and refreshes on the other.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { openDatabase } from '../../db/database.js';
import { DIALECTS, type TestDatabase } from '../../test-support/databases.js';
import { Client, STRONG_PASSWORD, seedUser, startTestApp } from '../../test-support/harness.js';
import { freePort, startServerProcess, type ServerProcess, realClock } from '../../test-support/processes.js';
import { phoneCode } from '../../test-support/authenticator.js';
import { DEFAULT_AUTH_SETTINGS } from '../settings/auth-settings.js';
import { CookieBrowser } from '../../test-support/cookie-browser.js';
import { driveInteraction, type InteractionPerson } from '../../test-support/oidc-interaction.js';

const CALLBACK = 'http://127.0.0.1:9/callback';
const SIGNED_OUT = 'http://127.0.0.1:9/signed-out';
const isCallback = (url: string) => url.startsWith('http://127.0.0.1:9/');

interface Seeded {
  userId: string;
  key: string;
}

const authorize = (browser: CookieBrowser, start: string, base: () => string, who: InteractionPerson) =>
  driveInteraction(browser, start, who, { base, isCallback, rounds: 6 });

for (const dialect of DIALECTS) {
  const instances = dialect.name === 'postgres' ? 2 : 1;
  describe(`OpenID Connect with openid-client on ${dialect.name} (${instances} instance${instances > 1 ? 's' : ''})`, { skip: dialect.skip }, () => {
    let database: TestDatabase;
    const servers: ServerProcess[] = [];
    const masterKey = randomBytes(32);
    let publicUrl = '';
    let app = { id: '', secret: '' };
    let strictApp = '';
    let alice: Seeded;
    let config: oidc.Configuration;
    /** The instance the application's server talks to: the other one, when there are two. */
    const backend = () => servers[servers.length - 1]!.baseUrl;

    before(async () => {
      database = await dialect.create();
      const seed = await startTestApp({ url: database.url, masterKey, clock: realClock });
      const withTwoFactor = async (email: string, at: number): Promise<Seeded> => {
        const user = await seedUser(seed.s, email);
        const c = new Client(seed.app);
        await c.signIn(email);
        await c.stepUp();
        const { key } = (await c.post('/api/me/2fa/setup')).body;
        assert.equal((await c.post('/api/me/2fa/enable', { code: phoneCode(key, at) })).status, 200);
        return { userId: user.id, key };
      };
      // One step behind: the later sign-ins' codes (now, +30 s, +60 s) are then fresh steps, each within
      // one step of the offset learned from the code before it.
      alice = await withTwoFactor('alice@example.com', Date.now() - 30_000);
      await seedUser(seed.s, 'bob@example.com');
      await seedUser(seed.s, 'carol@example.com');
      const created = await seed.s.clients.create({ name: 'Wiki', redirectUris: [CALLBACK], postLogoutRedirectUris: [SIGNED_OUT] }, null, null);
      app = { id: created.client_id, secret: created.client_secret! };
      strictApp = (await seed.s.clients.create({ name: 'Vault', redirectUris: [CALLBACK], require2fa: true, trusted: true, public: true }, null, null))
        .client_id;
      await seed.close();

      const port = await freePort();
      publicUrl = `http://127.0.0.1:${port}`;
      const env = { GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64'), GATEHOUSE_PUBLIC_URL: publicUrl };
      servers.push(await startServerProcess({ ...env, GATEHOUSE_PORT: String(port) }));
      // A second instance behind the same public address (what a load balancer gives).
      if (instances === 2) servers.push(await startServerProcess(env));
      // The application's own server calls reach `backend()`: the other instance, when there are two.
      const toBackend: oidc.CustomFetch = (url, options) => fetch(url.replace(publicUrl, backend()), options as RequestInit);
      config = await oidc.discovery(new URL(publicUrl), app.id, undefined, oidc.ClientSecretBasic(app.secret), {
        execute: [oidc.allowInsecureRequests],
        [oidc.customFetch]: toBackend,
      });
      // Check every ID token's signature against the published JWKS, not only its claims.
      oidc.enableNonRepudiationChecks(config);
    });
    after(async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await database?.drop();
    });

    it('serves discovery at the public URL with the issuer it names', async () => {
      const metadata = config.serverMetadata();
      assert.equal(metadata.issuer, publicUrl);
      assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
      assert.deepEqual(metadata.response_types_supported, ['code']);
    });

    it('signs in with code + PKCE, validates the ID token, reads userinfo, rotates refresh tokens and refuses a replayed one', async () => {
      const browser = new CookieBrowser();
      const verifier = oidc.randomPKCECodeVerifier();
      const nonce = oidc.randomNonce();
      const state = oidc.randomState();
      const start = oidc.buildAuthorizationUrl(config, {
        redirect_uri: CALLBACK,
        scope: 'openid email offline_access',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        nonce,
        state,
        prompt: 'consent',
      });
      const { steps, callback } = await authorize(browser, start.href, () => servers[0]!.baseUrl, {
        email: 'alice@example.com',
        code: () => phoneCode(alice.key, Date.now()),
      });
      assert.deepEqual(steps, ['sign_in', 'continue', 'consent']);
      assert.ok(callback, 'back at the application');

      const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), {
        pkceCodeVerifier: verifier,
        expectedNonce: nonce,
        expectedState: state,
        idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      assert.equal(claims.iss, publicUrl);
      assert.equal(claims.sub, alice.userId, 'sub is the user id, never the email');
      assert.equal(claims.email, 'alice@example.com');
      assert.equal(claims.email_verified, true);
      assert.deepEqual([...(claims.amr as string[])].sort(), ['mfa', 'otp', 'pwd']);
      assert.equal(claims.acr, 'mfa');

      const info = await oidc.fetchUserInfo(config, tokens.access_token, alice.userId);
      assert.equal(info.email, 'alice@example.com');

      const first = tokens.refresh_token!;
      const rotated = await oidc.refreshTokenGrant(config, first);
      assert.ok(rotated.refresh_token && rotated.refresh_token !== first, 'a new refresh token every time');
      assert.equal(rotated.claims()?.sub, alice.userId);
      await assert.rejects(
        oidc.refreshTokenGrant(config, first),
        (e: oidc.ResponseBodyError) => e.error === 'invalid_grant',
        'a replayed refresh token is refused',
      );
      await assert.rejects(
        oidc.refreshTokenGrant(config, rotated.refresh_token),
        (e: oidc.ResponseBodyError) => e.error === 'invalid_grant',
        'reuse revokes the whole grant',
      );

      const audit = openDatabase(database.url);
      try {
        const kinds = (await audit.db.selectFrom('audit_events').select('kind').execute()).map((e) => e.kind);
        assert.ok(kinds.includes('oidc.authorized') && kinds.includes('oidc.token_refused') && kinds.includes('oidc.consented'), kinds.join(','));
      } finally {
        await audit.close();
      }

      // RP-initiated logout ends the Gatehouse session too.
      const end = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: SIGNED_OUT, state: 'bye' });
      const confirm = await browser.get(end.href.replace(publicUrl, backend()));
      assert.equal(confirm.status, 200);
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(String(confirm.body))![1]!;
      const action = /action="([^"]+)"/.exec(String(confirm.body))![1]!;
      const out = await browser.request('POST', action.replace(publicUrl, backend()), undefined, { xsrf, logout: 'yes' });
      assert.equal(out.status, 303);
      assert.equal(out.location, `${SIGNED_OUT}?state=bye`);
      assert.equal((await browser.get(`${servers[0]!.baseUrl}/api/session`)).status, 401, 'the Gatehouse session is over');
    });

    it('lists the applications a person allowed, and revoking one stops its refresh tokens; declining consent answers access_denied', async () => {
      const browser = new CookieBrowser();
      const verifier = oidc.randomPKCECodeVerifier();
      const start = oidc.buildAuthorizationUrl(config, {
        redirect_uri: CALLBACK,
        scope: 'openid email offline_access',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: 'g',
        prompt: 'consent',
      });
      const { callback } = await authorize(browser, start.href, () => servers[0]!.baseUrl, {
        email: 'alice@example.com',
        code: () => phoneCode(alice.key, Date.now() + 30_000),
      });
      const tokens = await oidc.authorizationCodeGrant(config, new URL(callback!), { pkceCodeVerifier: verifier, expectedState: 'g' });
      const listed = await browser.get(`${servers[0]!.baseUrl}/api/me/applications`);
      assert.deepEqual(
        listed.body.applications.map((a: { name: string; scopes: string[] }) => [a.name, [...a.scopes].sort()]),
        [['Wiki', ['email', 'offline_access', 'openid']]],
      );
      assert.equal((await browser.request('DELETE', `${servers[0]!.baseUrl}/api/me/applications/${app.id}`)).status, 204);
      assert.deepEqual((await browser.get(`${servers[0]!.baseUrl}/api/me/applications`)).body.applications, []);
      await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (e: oidc.ResponseBodyError) => e.error === 'invalid_grant');

      const again = oidc.buildAuthorizationUrl(config, {
        redirect_uri: CALLBACK,
        scope: 'openid email',
        state: 'd',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const declined = await authorize(browser, again.href, () => servers[0]!.baseUrl, { email: 'alice@example.com', approve: false }).catch((e: Error) => e);
      assert.ok(declined instanceof Error, 'consent needs an explicit answer');
      const page = await browser.follow(again.href, isCallback);
      const uid = /\/interaction\/([\w-]+)/.exec(page.url)![1]!;
      const aborted = await browser.post(`${servers[0]!.baseUrl}/api/oidc/interactions/${uid}/abort`);
      const back = await browser.follow(aborted.body.redirect, isCallback);
      assert.match(String(back.location), /[?&]error=access_denied/);
    });

    it('answers prompt=none without a session with login_required', async () => {
      const start = oidc.buildAuthorizationUrl(config, {
        redirect_uri: CALLBACK,
        scope: 'openid',
        prompt: 'none',
        state: 's',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const answer = await new CookieBrowser().follow(start.href, isCallback);
      assert.match(String(answer.location), /[?&]error=login_required/);
    });

    it('refuses a redirect_uri that is not registered exactly', async () => {
      const start = oidc.buildAuthorizationUrl(config, { redirect_uri: `${CALLBACK}/../evil`, scope: 'openid', state: 's' });
      const answer = await new CookieBrowser().get(start.href);
      assert.equal(answer.status, 400);
      assert.equal(answer.location, null, 'no redirect to an unregistered address');
    });

    it('sends a password-only session to enrolment when the application requires 2FA, and asks for the second step when the account has it', async () => {
      const strict = await oidc.discovery(new URL(publicUrl), strictApp, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
      const verifier = oidc.randomPKCECodeVerifier();
      const startFor = async () =>
        oidc.buildAuthorizationUrl(strict, {
          redirect_uri: CALLBACK,
          scope: 'openid email',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state: 's',
        }).href;
      const bobBrowser = new CookieBrowser();
      const bobRun = await authorize(bobBrowser, await startFor(), () => servers[0]!.baseUrl, { email: 'bob@example.com' });
      assert.deepEqual(bobRun.steps, ['sign_in', 'enrol']);
      assert.equal(bobRun.callback, null, 'no code without a second factor');

      // Alice has 2FA: password and app code, then straight back (a trusted application asks no consent).
      const run = await authorize(new CookieBrowser(), await startFor(), () => servers[0]!.baseUrl, {
        email: 'alice@example.com',
        code: () => phoneCode(alice.key, Date.now() + 60_000),
      });
      assert.deepEqual(run.steps, ['sign_in', 'continue']);
      assert.ok(run.callback);
      const tokens = await oidc.authorizationCodeGrant(strict, new URL(run.callback), {
        pkceCodeVerifier: verifier,
        expectedState: 's',
        idTokenExpected: true,
      });
      assert.equal(tokens.claims()?.acr, 'mfa');
    });
    it("spends the browser's trusted-device counter at an application's second step, as the sign-in page's second step does", async () => {
      const base = servers[0]!.baseUrl;
      // Carol's own browser signs in (password only: no 2FA yet) and becomes a trusted device.
      const own = new CookieBrowser();
      assert.equal((await own.post(`${base}/api/session`, { email: 'carol@example.com', password: STRONG_PASSWORD })).body.status, 'authenticated');
      assert.ok(own.cookie('gatehouse_device'), 'a full sign-in trusts the browser');
      // She turns 2FA on from another browser: her own browser's session still holds a password alone.
      const other = new CookieBrowser();
      await other.post(`${base}/api/session`, { email: 'carol@example.com', password: STRONG_PASSWORD });
      assert.equal((await other.post(`${base}/api/session/step-up`, { password: STRONG_PASSWORD })).status, 204);
      const { key } = (await other.post(`${base}/api/me/2fa/setup`)).body as { key: string };
      assert.equal((await other.post(`${base}/api/me/2fa/enable`, { code: phoneCode(key, Date.now()) })).status, 200);

      const strict = await oidc.discovery(new URL(publicUrl), strictApp, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
      const start = oidc.buildAuthorizationUrl(strict, {
        redirect_uri: CALLBACK,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
        state: 's',
      }).href;
      const page = await own.follow(start, isCallback);
      const uid = /\/interaction\/([\w-]+)/.exec(page.url)?.[1];
      assert.ok(uid, page.url);
      assert.equal((await own.get(`${base}/api/oidc/interactions/${uid}`)).body.step, 'second_factor');
      // Wrong codes (ten minutes off: outside every window) until the lock.
      const wrong = phoneCode(key, Date.now() + 600_000);
      const statuses: number[] = [];
      for (let i = 0; i <= DEFAULT_AUTH_SETTINGS.codeAttempts; i++) {
        statuses.push((await own.post(`${base}/api/oidc/interactions/${uid}/second-factor`, { code: wrong })).status);
      }
      assert.deepEqual(statuses, [...Array(DEFAULT_AUTH_SETTINGS.codeAttempts).fill(401), 429]);
      // The same browser's sign-in page is locked too: the same (device) counter.
      assert.equal((await own.post(`${base}/api/session`, { email: 'carol@example.com', password: STRONG_PASSWORD })).status, 429);
      // Any other browser is not: the account's own counter was never spent.
      const fresh = new CookieBrowser();
      const signIn = await fresh.post(`${base}/api/session`, { email: 'carol@example.com', password: STRONG_PASSWORD });
      assert.equal(signIn.status, 200, JSON.stringify(signIn.body));
      assert.equal(signIn.body.status, 'second_factor_required');
    });
  });
}
