// OpenID Connect grants follow the account (issue 28, finding 1), against real server processes
// with openid-client: a refresh token stops working after each way its owner's sessions end (a
// password change, "sign out everywhere else", an administrator's "end sessions", a password reset,
// 2FA turned off, a block) and after a role change, on the other instance too; and a cookie alone,
// from a session that did not just sign in, gets no lasting access: offline_access and a first
// consent ask for a step-up. On SQLite (one instance) and on two instances sharing PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { openDatabase } from '../../db/database.js';
import { DIALECTS, type TestDatabase } from '../../test-support/databases.js';
import { Client, STRONG_PASSWORD, seedUser, startTestApp } from '../../test-support/harness.js';
import { freePort, startServerProcess, type ServerProcess, realClock } from '../../test-support/processes.js';
import { CookieBrowser } from '../../test-support/cookie-browser.js';
import { driveInteraction } from '../../test-support/oidc-interaction.js';
import { phoneCode } from '../../test-support/authenticator.js';

const CALLBACK = 'http://127.0.0.1:9/callback';
const isCallback = (url: string) => url.startsWith('http://127.0.0.1:9/');
const NEW_PASSWORD = 'a-fresh-passphrase-for-28';

for (const dialect of DIALECTS) {
  const instances = dialect.name === 'postgres' ? 2 : 1;
  describe(`OpenID Connect grants follow the account on ${dialect.name} (${instances} instance${instances > 1 ? 's' : ''})`, { skip: dialect.skip }, () => {
    let database: TestDatabase;
    const servers: ServerProcess[] = [];
    const masterKey = randomBytes(32);
    let publicUrl = '';
    let notes: oidc.Configuration;
    let wiki: oidc.Configuration;
    let legacy: oidc.Configuration;
    const ids = new Map<string, string>();
    let twoFactorKey = '';
    const front = () => servers[0]!.baseUrl;
    const backend = () => servers[servers.length - 1]!.baseUrl;

    const discover = (clientId: string, auth: oidc.ClientAuth) => {
      const toBackend: oidc.CustomFetch = (url, options) => fetch(url.replace(publicUrl, backend()), options as RequestInit);
      return oidc.discovery(new URL(publicUrl), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests], [oidc.customFetch]: toBackend });
    };

    /** Runs an authorization in `browser` (signing in as `email` when asked); answers the callback, or the refusal of the step that refused. */
    async function authorize(config: oidc.Configuration, browser: CookieBrowser, email: string, scope: string, code?: () => string) {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: CALLBACK,
        scope,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        prompt: 'consent',
      });
      const run = await driveInteraction(browser, url.href, { email, code }, { base: front, isCallback, rounds: 6, stopOnRefusal: true });
      if (run.refused) return { refused: run.refused.error, uid: run.refused.uid };
      assert.ok(run.callback, `the callback, after ${run.steps.join(', ')}`);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(run.callback), { pkceCodeVerifier: verifier, expectedState: state });
      return { tokens };
    }

    /** Refreshes; answers 'refreshed' and the rotated token (the one presented is spent), or the error. */
    const refreshes = async (refreshToken: string): Promise<[string, string?]> => {
      try {
        const rotated = await oidc.refreshTokenGrant(notes, refreshToken);
        return ['refreshed', rotated.refresh_token];
      } catch (error) {
        return [(error as { error?: string }).error ?? String(error)];
      }
    };

    /** A refresh token for `email`, as its own application gets it: signed in during the authorization. */
    async function lastingAccess(email: string, code?: () => string) {
      const browser = new CookieBrowser();
      const run = await authorize(notes, browser, email, 'openid email offline_access', code);
      assert.ok(run.tokens?.refresh_token, JSON.stringify(run));
      const [outcome, rotated] = await refreshes(run.tokens.refresh_token);
      assert.equal(outcome, 'refreshed');
      return { browser, refresh: rotated! };
    }

    /** A signed-in, stepped-up API client of `email` on the front instance. */
    async function signedIn(email: string, password = STRONG_PASSWORD, code?: () => string) {
      const b = new CookieBrowser();
      const signed = await b.post(`${front()}/api/session`, { email, password });
      if (signed.body.status === 'second_factor_required') assert.equal((await b.post(`${front()}/api/session/second-factor`, { code: code!() })).status, 200);
      assert.equal((await b.post(`${front()}/api/session/step-up`, code ? { password, code: code() } : { password })).status, 204);
      return b;
    }

    before(async () => {
      database = await dialect.create();
      const seed = await startTestApp({ url: database.url, masterKey, clock: realClock });
      for (const name of ['password', 'others', 'ended', 'reset', 'twofa', 'blocked', 'role', 'victim', 'admin']) {
        ids.set(name, (await seedUser(seed.s, `${name}@example.com`, name === 'admin' ? 'admin' : 'user')).id);
      }
      const c = new Client(seed.app);
      await c.signIn('twofa@example.com');
      await c.stepUp();
      twoFactorKey = (await c.post('/api/me/2fa/setup')).body.key;
      assert.equal((await c.post('/api/me/2fa/enable', { code: phoneCode(twoFactorKey, Date.now() - 30_000) })).status, 200);
      const notesApp = await seed.s.clients.create({ name: 'Notes', redirectUris: [CALLBACK], public: true, trusted: true }, null, null);
      const wikiApp = await seed.s.clients.create({ name: 'Wiki', redirectUris: [CALLBACK] }, null, null);
      const legacyApp = await seed.s.clients.create({ name: 'Old CMS', redirectUris: [CALLBACK], legacyNoPkce: true, trusted: true }, null, null);
      await seed.close();

      const port = await freePort();
      publicUrl = `http://127.0.0.1:${port}`;
      const env = { GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64'), GATEHOUSE_PUBLIC_URL: publicUrl };
      servers.push(await startServerProcess({ ...env, GATEHOUSE_PORT: String(port) }));
      if (instances === 2) servers.push(await startServerProcess(env));
      notes = await discover(notesApp.client_id, oidc.None());
      wiki = await discover(wikiApp.client_id, oidc.ClientSecretBasic(wikiApp.client_secret!));
      legacy = await discover(legacyApp.client_id, oidc.ClientSecretBasic(legacyApp.client_secret!));
    });
    after(async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await database?.drop();
    });

    it('a refresh token stops working after each way the owner ends sessions, and after a role change', async () => {
      const admin = await signedIn('admin@example.com');
      const actions: Array<[string, (email: string) => Promise<void>]> = [
        [
          'password',
          async (email) => {
            const owner = await signedIn(email);
            assert.equal((await owner.post(`${front()}/api/me/password`, { currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD })).status, 204);
          },
        ],
        ['others', async (email) => assert.equal((await (await signedIn(email)).post(`${front()}/api/me/sessions/sign-out-others`)).status, 204)],
        ['ended', async () => assert.equal((await admin.post(`${front()}/api/admin/users/${ids.get('ended')}/sessions/end`)).status, 204)],
        [
          'reset',
          async (email) => {
            const sent = await admin.post(`${front()}/api/admin/users/${ids.get('reset')}/password-reset`);
            assert.equal(sent.status, 200, JSON.stringify(sent.body));
            const token = new URL(sent.body.link).searchParams.get('token');
            assert.equal((await new CookieBrowser().post(`${front()}/api/password-reset/complete`, { token, newPassword: NEW_PASSWORD })).status, 200, email);
          },
        ],
        ['twofa', async () => assert.equal((await admin.post(`${front()}/api/admin/users/${ids.get('twofa')}/2fa/disable`)).status, 204)],
        [
          'blocked',
          async () => assert.equal((await admin.request('PATCH', `${front()}/api/admin/users/${ids.get('blocked')}`, { blocked: true })).status, 200),
        ],
        ['role', async () => assert.equal((await admin.request('PATCH', `${front()}/api/admin/users/${ids.get('role')}`, { role: 'admin' })).status, 200)],
      ];
      // Enrolled with the code of 30 s ago: the code of now is a later step, within one of the offset learned.
      const code = () => phoneCode(twoFactorKey, Date.now());
      for (const [name, act] of actions) {
        const email = `${name}@example.com`;
        const { refresh } = await lastingAccess(email, name === 'twofa' ? code : undefined);
        const granted = async () =>
          (await admin.get(`${front()}/api/admin/users/${ids.get(name)}/applications`)).body.applications.map((a: { name: string }) => a.name);
        assert.deepEqual(await granted(), ['Notes'], `${name}: the administrator sees the grant`);
        await act(email);
        assert.equal((await refreshes(refresh))[0], 'invalid_grant', `${name}: the refresh token is revoked`);
        assert.deepEqual(await granted(), [], `${name}: and the grant is gone`);
      }
    });

    it('a cookie from a session that did not just sign in gets no refresh token and no first consent without a step-up', async () => {
      const thief = new CookieBrowser();
      assert.equal((await thief.post(`${front()}/api/session`, { email: 'victim@example.com', password: STRONG_PASSWORD })).status, 200);
      // The cookie is stolen later: its session signed in an hour ago.
      const opened = openDatabase(database.url);
      try {
        await opened.db
          .updateTable('sessions')
          .set({ created_at: Date.now() - 3_600_000 })
          .where('user_id', '=', ids.get('victim')!)
          .execute();
      } finally {
        await opened.close();
      }
      const lasting = await authorize(notes, thief, 'victim@example.com', 'openid email offline_access');
      assert.equal(lasting.refused, 'reauthentication_required', 'offline_access for a trusted application');
      const consent = await authorize(wiki, new CookieBrowser(), 'victim@example.com', 'openid email').catch(() => null);
      assert.ok(consent, 'a fresh sign-in consents without a step-up');
      const first = await authorize(wiki, thief, 'victim@example.com', 'openid email');
      assert.equal(first.refused, 'reauthentication_required', 'a first consent from the stolen cookie');

      // The owner, with the password, steps up and carries on in the same authorization.
      assert.equal((await thief.post(`${front()}/api/session/step-up`, { password: STRONG_PASSWORD })).status, 204);
      const done = await thief.post(`${front()}/api/oidc/interactions/${first.uid}/continue`, { approve: true });
      assert.equal(done.status, 200, JSON.stringify(done.body));
    });

    it('asks every application for PKCE, a confidential one too, unless an administrator marked it legacy', async () => {
      const withoutPkce = (config: oidc.Configuration) =>
        oidc.buildAuthorizationUrl(config, { redirect_uri: CALLBACK, scope: 'openid email', state: oidc.randomState() }).href;
      const refused = await new CookieBrowser().follow(withoutPkce(wiki), isCallback);
      assert.ok(refused.location && isCallback(refused.location), `${refused.status} ${refused.url}`);
      assert.equal(new URL(refused.location).searchParams.get('error'), 'invalid_request');
      assert.match(String(new URL(refused.location).searchParams.get('error_description')), /code_challenge|PKCE/i);

      const browser = new CookieBrowser();
      let answer = await browser.follow(withoutPkce(legacy), isCallback);
      const uid = /\/interaction\/([\w-]+)/.exec(answer.url)?.[1];
      assert.ok(uid, `the legacy application reaches the sign-in, got ${answer.status} ${answer.url}`);
      assert.equal((await browser.post(`${front()}/api/session`, { email: 'victim@example.com', password: STRONG_PASSWORD })).status, 200);
      const done = await browser.post(`${front()}/api/oidc/interactions/${uid}/continue`, {});
      answer = await browser.follow(done.body.redirect, isCallback);
      assert.ok(new URL(answer.location!).searchParams.get('code'), answer.location ?? '');
    });
  });
}
