// The parts of the OpenID Connect Basic and Config OP profiles that matter here, in the spirit of
// the OpenID conformance suite (which cannot run here), driven by openid-client against a real
// server process: prompt=login and max_age ask for a new proof (the ID token's auth_time is that
// proof's), prompt=none without a session, the nonce, the claims per scope, login_hint, acr_values=mfa,
// id_token_hint at end_session, errors at redirect_uri with the state, and token introspection
// (RFC 7662). On SQLite and on PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as oidc from 'openid-client';
import { DIALECTS, type TestDatabase } from '../../test-support/databases.js';
import { Client, STRONG_PASSWORD, seedUser, startTestApp } from '../../test-support/harness.js';
import { freePort, startServerProcess, type ServerProcess, realClock } from '../../test-support/processes.js';
import { phoneCode } from '../../test-support/authenticator.js';
import { CookieBrowser } from '../../test-support/cookie-browser.js';
import { driveInteraction, type InteractionPerson } from '../../test-support/oidc-interaction.js';

const CALLBACK = 'http://127.0.0.1:9/callback';
const SIGNED_OUT = 'http://127.0.0.1:9/signed-out';
const isCallback = (url: string) => url.startsWith('http://127.0.0.1:9/');

type Person = InteractionPerson;

for (const dialect of DIALECTS) {
  describe(`OpenID Connect conformance-style checks on ${dialect.name}`, { skip: dialect.skip }, () => {
    let database: TestDatabase;
    let server: ServerProcess;
    const masterKey = randomBytes(32);
    let publicUrl = '';
    let wiki: oidc.Configuration;
    let other: oidc.Configuration;
    let spa: oidc.Configuration;
    let notes: oidc.Configuration;
    let aliceKey = '';
    let erinKey = '';
    const base = () => server.baseUrl;
    /** App codes a step apart (each key on its own), so none is refused as a replay of the last. */
    const nextCode = (key: () => string) => {
      let step = 0;
      return () => phoneCode(key(), Date.now() + 30_000 * step++);
    };
    const alice: Person = { email: 'alice@example.com', code: nextCode(() => aliceKey) };
    const dave: Person = { email: 'dave@example.com' };

    const discover = (clientId: string, auth: oidc.ClientAuth) =>
      oidc.discovery(new URL(publicUrl), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });

    const drive = (browser: CookieBrowser, start: string, who: Person) => driveInteraction(browser, start, who, { base, isCallback });

    /** One authorization of `config` with PKCE, nonce and state; answers the run and the tokens. */
    async function signIn(
      config: oidc.Configuration,
      browser: CookieBrowser,
      who: Person,
      extra: Record<string, string> = {},
      check: { maxAge?: number } = {},
    ) {
      const verifier = oidc.randomPKCECodeVerifier();
      const nonce = oidc.randomNonce();
      const state = oidc.randomState();
      const start = oidc.buildAuthorizationUrl(config, {
        redirect_uri: CALLBACK,
        scope: 'openid email',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        nonce,
        state,
        ...extra,
      });
      const run = await drive(browser, start.href, who);
      assert.ok(run.callback, `back at the application: ${JSON.stringify(run)}`);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(run.callback), {
        pkceCodeVerifier: verifier,
        expectedNonce: nonce,
        expectedState: state,
        idTokenExpected: true,
        ...(check.maxAge === undefined ? {} : { maxAge: check.maxAge }),
      });
      return { run, tokens, claims: tokens.claims()! };
    }

    /** Waits into the next second: auth_time has whole seconds. */
    const nextSecond = () => sleep(1100 - (Date.now() % 1000));

    before(async () => {
      database = await dialect.create();
      const seed = await startTestApp({ url: database.url, masterKey, clock: realClock });
      const enable = async (email: string, at: number) => {
        const c = new Client(seed.app);
        await c.signIn(email);
        await c.stepUp();
        const { key } = (await c.post('/api/me/2fa/setup')).body;
        assert.equal((await c.post('/api/me/2fa/enable', { code: phoneCode(key, at) })).status, 200);
        return key as string;
      };
      for (const email of ['alice@example.com', 'dave@example.com', 'erin@example.com', 'frank@example.com']) await seedUser(seed.s, email);
      aliceKey = await enable('alice@example.com', Date.now() - 30_000);
      const gina = await seedUser(seed.s, 'gina@example.com');
      await seed.s.users.setProfile(gina, { displayName: 'Gina Núñez', givenName: 'Gina', familyName: 'Núñez' }, null, null);
      const created = await seed.s.clients.create({ name: 'Wiki', redirectUris: [CALLBACK], postLogoutRedirectUris: [SIGNED_OUT], trusted: true }, null, null);
      const second = await seed.s.clients.create({ name: 'Forum', redirectUris: [CALLBACK], postLogoutRedirectUris: [SIGNED_OUT], trusted: true }, null, null);
      const browserApp = await seed.s.clients.create({ name: 'Board', redirectUris: [CALLBACK], public: true, trusted: true }, null, null);
      const consenting = await seed.s.clients.create({ name: 'Notes', redirectUris: [CALLBACK] }, null, null);
      await seed.close();

      const port = await freePort();
      publicUrl = `http://127.0.0.1:${port}`;
      server = await startServerProcess({
        GATEHOUSE_DATABASE_URL: database.url,
        GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64'),
        GATEHOUSE_PUBLIC_URL: publicUrl,
        GATEHOUSE_PORT: String(port),
      });
      wiki = await discover(created.client_id, oidc.ClientSecretBasic(created.client_secret!));
      other = await discover(second.client_id, oidc.ClientSecretBasic(second.client_secret!));
      spa = await discover(browserApp.client_id, oidc.None());
      notes = await discover(consenting.client_id, oidc.ClientSecretBasic(consenting.client_secret!));
      oidc.enableNonRepudiationChecks(wiki);
    });
    after(async () => {
      await server?.stop();
      await database?.drop();
    });

    it('prompt=login asks for the password again, refuses the cookie alone, and the ID token has the new auth_time', async () => {
      const browser = new CookieBrowser();
      const first = await signIn(wiki, browser, dave);
      assert.deepEqual(first.run.steps, ['sign_in', 'continue']);
      await nextSecond();
      const before = Math.floor(Date.now() / 1000);
      const again = await signIn(wiki, browser, dave, { prompt: 'login' });
      assert.deepEqual(again.run.steps, ['reauthenticate', 'continue']);
      assert.deepEqual(again.run.stepUps, [204]);
      assert.ok(
        Number(again.claims.auth_time) >= before,
        `auth_time ${again.claims.auth_time} is the re-proof's, not the first sign-in's (${first.claims.auth_time})`,
      );
      assert.ok(Number(again.claims.auth_time) > Number(first.claims.auth_time));
      // An application with a consent page: the re-proof, then consent, then the code (no loop).
      const consented = await signIn(notes, browser, dave, { prompt: 'login' });
      assert.deepEqual(consented.run.steps, ['reauthenticate', 'continue', 'consent']);
    });

    it('prompt=login for a 2FA account asks for the password and the code', async () => {
      const browser = new CookieBrowser();
      await signIn(wiki, browser, alice);
      await nextSecond();
      const again = await signIn(wiki, browser, alice, { prompt: 'login' });
      assert.deepEqual(again.run.steps, ['reauthenticate', 'continue']);
      assert.deepEqual(again.run.stepUps, [401, 204], 'the password alone is refused');
      assert.equal(again.claims.acr, 'mfa');
    });

    it('max_age: a session older than max_age re-authenticates (openid-client checks auth_time); max_age=0 is prompt=login; a young one does not', async () => {
      const browser = new CookieBrowser();
      const first = await signIn(wiki, browser, dave);
      const young = await signIn(wiki, browser, dave, { max_age: '3600' }, { maxAge: 3600 });
      assert.deepEqual(young.run.steps, []);
      assert.equal(young.claims.auth_time, first.claims.auth_time, 'auth_time is in the ID token when max_age is asked');
      await sleep(2100);
      const old = await signIn(wiki, browser, dave, { max_age: '1' }, { maxAge: 1 });
      assert.deepEqual(old.run.steps, ['reauthenticate', 'continue']);
      await nextSecond();
      const zero = await signIn(wiki, browser, dave, { max_age: '0' });
      assert.deepEqual(zero.run.steps, ['reauthenticate', 'continue']);
      assert.ok(Number(zero.claims.auth_time) > Number(old.claims.auth_time));
    });

    it('acr_values=mfa asks a password-only session of a 2FA account for the second step, and the ID token says acr=mfa', async () => {
      const base_ = base();
      const own = new CookieBrowser();
      assert.equal((await own.post(`${base_}/api/session`, { email: 'erin@example.com', password: STRONG_PASSWORD })).body.status, 'authenticated');
      // 2FA turned on from another browser: this one's session still holds the password alone.
      const elsewhere = new CookieBrowser();
      await elsewhere.post(`${base_}/api/session`, { email: 'erin@example.com', password: STRONG_PASSWORD });
      assert.equal((await elsewhere.post(`${base_}/api/session/step-up`, { password: STRONG_PASSWORD })).status, 204);
      erinKey = (await elsewhere.post(`${base_}/api/me/2fa/setup`)).body.key;
      assert.equal((await elsewhere.post(`${base_}/api/me/2fa/enable`, { code: phoneCode(erinKey, Date.now() - 30_000) })).status, 200);
      const plain = await signIn(wiki, own, { email: 'erin@example.com' });
      assert.equal(plain.claims.acr, 'pwd');
      const strong = await signIn(wiki, own, { email: 'erin@example.com', code: nextCode(() => erinKey) }, { acr_values: 'mfa' });
      assert.deepEqual(strong.run.steps, ['second_factor', 'continue']);
      assert.equal(strong.claims.acr, 'mfa');
      assert.ok((strong.claims.amr as string[]).includes('otp'));
    });

    it('prompt=none without a session answers login_required at the redirect_uri, with the state', async () => {
      const start = oidc.buildAuthorizationUrl(wiki, {
        redirect_uri: CALLBACK,
        scope: 'openid',
        prompt: 'none',
        state: 'none-1',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const answer = await new CookieBrowser().follow(start.href, isCallback);
      const back = new URL(answer.location!);
      assert.equal(`${back.origin}${back.pathname}`, CALLBACK);
      assert.equal(back.searchParams.get('error'), 'login_required');
      assert.equal(back.searchParams.get('state'), 'none-1');
    });

    it('echoes the nonce, and gives the claims of each scope only', async () => {
      const browser = new CookieBrowser();
      const bare = await signIn(wiki, browser, dave, { scope: 'openid' });
      assert.equal(bare.claims.email, undefined);
      assert.equal(bare.claims.name, undefined);
      assert.equal(typeof bare.claims.auth_time, 'number');
      const withEmail = await signIn(wiki, browser, dave, { scope: 'openid email' });
      assert.equal(withEmail.claims.email, 'dave@example.com');
      assert.equal(withEmail.claims.email_verified, true);
      assert.equal(withEmail.claims.name, undefined);
      const withProfile = await signIn(wiki, browser, dave, { scope: 'openid profile' });
      assert.equal(typeof withProfile.claims.name, 'string');
      assert.equal(withProfile.claims.email, undefined);
      // The nonce check is openid-client's (expectedNonce): a wrong one is refused.
      const info = await oidc.fetchUserInfo(wiki, withProfile.tokens.access_token, String(withProfile.claims.sub));
      assert.equal(typeof info.name, 'string');
    });

    it('name is the display name where one is set (given_name, family_name where known), the email otherwise', async () => {
      const named = await signIn(wiki, new CookieBrowser(), { email: 'gina@example.com' }, { scope: 'openid profile' });
      assert.equal(named.claims.name, 'Gina Núñez');
      assert.equal(named.claims.given_name, 'Gina');
      assert.equal(named.claims.family_name, 'Núñez');
      const info = await oidc.fetchUserInfo(wiki, named.tokens.access_token, String(named.claims.sub));
      assert.deepEqual([info.name, info.given_name, info.family_name], ['Gina Núñez', 'Gina', 'Núñez']);
      const plain = await signIn(wiki, new CookieBrowser(), { email: 'frank@example.com' }, { scope: 'openid profile' });
      assert.equal(plain.claims.name, 'frank@example.com');
      assert.equal(plain.claims.given_name, undefined);
      assert.equal(plain.claims.family_name, undefined);
    });

    it('login_hint is in the interaction details (the sign-in form prefills it)', async () => {
      const start = oidc.buildAuthorizationUrl(wiki, {
        redirect_uri: CALLBACK,
        scope: 'openid',
        login_hint: 'frank@example.com',
        state: 'h',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const run = await drive(new CookieBrowser(), start.href, { email: 'frank@example.com' });
      assert.equal(run.steps[0], 'sign_in');
      assert.equal(run.details[0]!.loginHint, 'frank@example.com');
    });

    it('end_session honours post_logout_redirect_uri with a valid id_token_hint and refuses another application’s hint', async () => {
      const browser = new CookieBrowser();
      const mine = await signIn(wiki, browser, dave);
      const theirs = await signIn(other, browser, dave);
      // Forum's ID token with Wiki's client_id: the hint is not for this client.
      const wrong = oidc.buildEndSessionUrl(wiki, { id_token_hint: theirs.tokens.id_token!, post_logout_redirect_uri: SIGNED_OUT, state: 'x' });
      const refused = await browser.get(wrong.href);
      assert.equal(refused.status, 400, String(refused.body).slice(0, 200));
      assert.equal(refused.location, null);

      const end = oidc.buildEndSessionUrl(wiki, { id_token_hint: mine.tokens.id_token!, post_logout_redirect_uri: SIGNED_OUT, state: 'bye' });
      const confirm = await browser.get(end.href);
      assert.equal(confirm.status, 200);
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(String(confirm.body))![1]!;
      const action = /action="([^"]+)"/.exec(String(confirm.body))![1]!;
      const out = await browser.request('POST', action, undefined, { xsrf, logout: 'yes' });
      assert.equal(out.status, 303);
      assert.equal(out.location, `${SIGNED_OUT}?state=bye`);
    });

    it('returns errors to the application at its redirect_uri with the state', async () => {
      const challenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
      const cases: Array<[Record<string, string>, string]> = [
        [{ response_type: 'token' }, 'unsupported_response_type'],
        [{ code_challenge: '', code_challenge_method: '' }, 'invalid_request'],
        [{ prompt: 'none login' }, 'invalid_request'],
        [{ acr_values: 'mfa', prompt: 'none' }, 'login_required'],
      ];
      for (const [params, error] of cases) {
        const url = oidc.buildAuthorizationUrl(wiki, {
          redirect_uri: CALLBACK,
          scope: 'openid',
          state: `s-${error}`,
          code_challenge: challenge,
          code_challenge_method: 'S256',
        });
        for (const [name, value] of Object.entries(params)) {
          if (value === '') url.searchParams.delete(name);
          else url.searchParams.set(name, value);
        }
        const answer = await new CookieBrowser().get(url.href);
        assert.ok(answer.location && isCallback(answer.location), `${JSON.stringify(params)}: ${answer.status} ${answer.location}`);
        // A response_type with tokens answers in the fragment (its default response mode), the code flow in the query.
        const back = new URL(answer.location);
        const answered = back.hash ? new URLSearchParams(back.hash.slice(1)) : back.searchParams;
        assert.equal(answered.get('error'), error, `${JSON.stringify(params)}: ${answer.location}`);
        assert.equal(answered.get('state'), `s-${error}`);
      }
    });

    it('introspection (RFC 7662): active for the application’s own live token, inactive when revoked, for another application, and for a blocked account; public clients are refused', async () => {
      const browser = new CookieBrowser();
      const { tokens } = await signIn(wiki, browser, { email: 'frank@example.com' }, { scope: 'openid email offline_access', prompt: 'consent' });
      const live = await oidc.tokenIntrospection(wiki, tokens.access_token);
      assert.equal(live.active, true);
      assert.equal(live.client_id, wiki.clientMetadata().client_id);
      assert.equal(typeof live.sub, 'string');
      assert.equal((await oidc.tokenIntrospection(other, tokens.access_token)).active, false, 'not another application’s token');
      await assert.rejects(oidc.tokenIntrospection(spa, tokens.access_token), (e: oidc.ResponseBodyError) => e.error === 'invalid_client');
      assert.equal((await oidc.tokenIntrospection(wiki, 'not-a-token')).active, false);

      const refresh = tokens.refresh_token!;
      assert.equal((await oidc.tokenIntrospection(wiki, refresh)).active, true);
      await oidc.tokenRevocation(wiki, tokens.access_token);
      assert.equal((await oidc.tokenIntrospection(wiki, tokens.access_token)).active, false, 'revoked');

      const admin = await startTestApp({ url: database.url, masterKey, clock: realClock });
      try {
        const frank = await admin.s.users.findByEmail('frank@example.com');
        await admin.s.users.update(frank!, { blocked: true }, 'cli', null);
      } finally {
        await admin.close();
      }
      assert.equal((await oidc.tokenIntrospection(wiki, refresh)).active, false, 'blocked account');
    });
  });
}
