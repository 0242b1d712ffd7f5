// OIDC Back-Channel Logout 1.0 against real server processes: an application that registered a
// backchannel_logout_uri hears, through a real HTTP receiver, a logout token signed with the keys
// the JWKS publishes (iss, aud, iat, jti, sub, sid, events; no nonce) whenever a Gatehouse session
// it got tokens through ends: signing out, "sign out everywhere else", an administrator ending the
// sessions, a block, a password reset, RP-initiated logout. Exactly once per session and
// application, with two instances' workers sharing PostgreSQL (and one on SQLite); an application
// without the address, or one the session never signed in to, hears nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { DIALECTS, type TestDatabase } from '../../test-support/databases.js';
import { STRONG_PASSWORD, seedUser, startTestApp } from '../../test-support/harness.js';
import { freePort, startServerProcess, type ServerProcess, realClock } from '../../test-support/processes.js';
import { CookieBrowser } from '../../test-support/cookie-browser.js';
import { driveInteraction } from '../../test-support/oidc-interaction.js';

const CALLBACK = 'http://127.0.0.1:9/callback';
const SIGNED_OUT = 'http://127.0.0.1:9/signed-out';
const isCallback = (url: string) => url.startsWith('http://127.0.0.1:9/');
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

interface Received {
  path: string;
  token: string;
  contentType: string | undefined;
}

/** An application's back-channel endpoint: records every logout_token it is POSTed. */
async function startReceiver() {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (req.method === 'POST' && token) received.push({ path: req.url ?? '', token, contentType: req.headers['content-type'] });
      res.writeHead(200, { 'cache-control': 'no-store' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

for (const dialect of DIALECTS) {
  const instances = dialect.name === 'postgres' ? 2 : 1;
  describe(`back-channel logout on ${dialect.name} (${instances} instance${instances > 1 ? 's' : ''})`, { skip: dialect.skip }, () => {
    let database: TestDatabase;
    const servers: ServerProcess[] = [];
    const masterKey = randomBytes(32);
    let publicUrl = '';
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let wiki: oidc.Configuration;
    let forum: oidc.Configuration;
    let quiet: oidc.Configuration;
    const ids = new Map<string, string>();
    const front = () => servers[0]!.baseUrl;
    const backend = () => servers[servers.length - 1]!.baseUrl;

    const discover = (clientId: string, secret: string) =>
      oidc.discovery(new URL(publicUrl), clientId, undefined, oidc.ClientSecretBasic(secret), {
        execute: [oidc.allowInsecureRequests],
        [oidc.customFetch]: (url, options) => fetch(url.replace(publicUrl, backend()), options as RequestInit),
      });

    /** Signs `email` in to `config` in `browser` (signing in to Gatehouse when asked); answers the ID token's claims and the tokens. */
    async function signInTo(config: oidc.Configuration, browser: CookieBrowser, email: string) {
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: CALLBACK,
        scope: 'openid email',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: 's',
      });
      const run = await driveInteraction(browser, url.href, { email }, { base: front, isCallback, rounds: 5 });
      assert.ok(run.callback, `the callback, after ${run.steps.join(', ')}`);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(run.callback), { pkceCodeVerifier: verifier, expectedState: 's' });
      return { tokens, claims: tokens.claims()! };
    }

    /** Waits until `count` logout tokens arrived for `sid` (the workers poll every second), then a little longer for any extra. */
    async function logoutsFor(sid: string, count = 1): Promise<JWTPayload[]> {
      const jwks = createRemoteJWKSet(new URL(`${front()}/oidc/jwks`));
      const deadline = Date.now() + 15_000;
      let mine: Received[] = [];
      const decode = (r: Received) => JSON.parse(Buffer.from(r.token.split('.')[1]!, 'base64url').toString()) as JWTPayload;
      while (Date.now() < deadline) {
        mine = receiver.received.filter((r) => decode(r).sid === sid);
        if (mine.length >= count) break;
        await sleep(200);
      }
      await sleep(2500);
      mine = receiver.received.filter((r) => decode(r).sid === sid);
      assert.equal(mine.length, count, `exactly ${count} logout token(s) for sid ${sid}, got ${mine.length}`);
      const verified: JWTPayload[] = [];
      for (const r of mine) {
        assert.equal(r.contentType, 'application/x-www-form-urlencoded');
        // §2.4: signed by the OP's published key, typ-less JWT whose audience is the application.
        const { payload, protectedHeader } = await jwtVerify(r.token, jwks, { issuer: publicUrl });
        assert.ok(protectedHeader.alg && protectedHeader.alg !== 'none');
        assert.deepEqual(payload.events, { [EVENT]: {} });
        assert.equal(typeof payload.iat, 'number');
        assert.equal(typeof payload.jti, 'string');
        assert.equal((payload as Record<string, unknown>).nonce, undefined, '§2.4: a logout token has no nonce');
        verified.push(payload);
      }
      return verified;
    }

    before(async () => {
      database = await dialect.create();
      receiver = await startReceiver();
      const seed = await startTestApp({ url: database.url, masterKey, clock: realClock });
      for (const name of ['signout', 'everywhere', 'admin-ended', 'blocked', 'reset', 'rp', 'two-apps']) {
        ids.set(name, (await seedUser(seed.s, `${name}@example.com`)).id);
      }
      await seedUser(seed.s, 'admin@example.com', 'admin');
      const made = [];
      for (const name of ['Wiki', 'Forum', 'Quiet']) {
        const backchannel =
          name === 'Quiet' ? {} : { backchannelLogoutUri: `${receiver.base}/${name.toLowerCase()}/logout`, backchannelLogoutSessionRequired: true };
        made.push(
          await seed.s.clients.create({ name, redirectUris: [CALLBACK], postLogoutRedirectUris: [SIGNED_OUT], trusted: true, ...backchannel }, null, null),
        );
      }
      await seed.close();
      const port = await freePort();
      publicUrl = `http://127.0.0.1:${port}`;
      const env = { GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64'), GATEHOUSE_PUBLIC_URL: publicUrl };
      servers.push(await startServerProcess({ ...env, GATEHOUSE_PORT: String(port) }));
      if (instances === 2) servers.push(await startServerProcess(env));
      const configs = await Promise.all(made.map((m) => discover(m.client_id, m.client_secret!)));
      [wiki, forum, quiet] = [configs[0]!, configs[1]!, configs[2]!];
    });
    after(async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await receiver?.close();
      await database?.drop();
    });

    it('advertises back-channel logout in discovery', () => {
      const metadata = wiki.serverMetadata() as Record<string, unknown>;
      assert.equal(metadata.backchannel_logout_supported, true);
      assert.equal(metadata.backchannel_logout_session_supported, true);
    });

    it('signing out sends one logout token with the sub and the sid of the ID token', async () => {
      const browser = new CookieBrowser();
      const { claims } = await signInTo(wiki, browser, 'signout@example.com');
      assert.equal(typeof claims.sid, 'string', 'backchannel_logout_session_required: the ID token has sid');
      assert.equal((await browser.request('DELETE', `${front()}/api/session`)).status, 204);
      const [token] = await logoutsFor(String(claims.sid));
      assert.equal(token!.sub, ids.get('signout'));
      assert.equal(token!.aud, wiki.clientMetadata().client_id);
      assert.ok(receiver.received.some((r) => r.path === '/wiki/logout'));
    });

    it('"sign out everywhere else", an administrator ending sessions, a block and a password reset each send it', async () => {
      const browsers = new Map<string, { browser: CookieBrowser; sid: string }>();
      for (const name of ['everywhere', 'admin-ended', 'blocked', 'reset']) {
        const browser = new CookieBrowser();
        const { claims } = await signInTo(wiki, browser, `${name}@example.com`);
        browsers.set(name, { browser, sid: String(claims.sid) });
      }
      // Sign out everywhere else, from another (stepped-up) browser.
      const other = new CookieBrowser();
      await other.post(`${front()}/api/session`, { email: 'everywhere@example.com', password: STRONG_PASSWORD });
      assert.equal((await other.post(`${front()}/api/session/step-up`, { password: STRONG_PASSWORD })).status, 204);
      assert.equal((await other.post(`${front()}/api/me/sessions/sign-out-others`)).status, 204);
      // An administrator ends a user's sessions.
      const admin = new CookieBrowser();
      await admin.post(`${front()}/api/session`, { email: 'admin@example.com', password: STRONG_PASSWORD });
      assert.equal((await admin.post(`${front()}/api/admin/users/${ids.get('admin-ended')}/sessions/end`)).status, 204);
      // A block and a password reset (what the CLI and the reset page run), on the shared database.
      const ops = await startTestApp({ url: database.url, masterKey, clock: realClock });
      try {
        const blocked = await ops.s.users.findByEmail('blocked@example.com');
        await ops.s.users.update(blocked!, { blocked: true }, 'cli', null);
        const sent = await ops.s.resets.sendByAdmin('cli', ids.get('reset')!, null);
        assert.ok('link' in sent);
        const token = new URL(sent.link).searchParams.get('token')!;
        await ops.s.resets.complete({ token, newPassword: 'a-brand-new-passphrase-29' }, null);
      } finally {
        await ops.close();
      }
      for (const [name, { sid }] of browsers) {
        const [token] = await logoutsFor(sid);
        assert.equal(token!.sub, ids.get(name), name);
      }
    });

    it('RP-initiated logout sends it too, and a session signed in to two applications notifies each once; one without the address hears nothing', async () => {
      const browser = new CookieBrowser();
      const first = await signInTo(wiki, browser, 'two-apps@example.com');
      const second = await signInTo(forum, browser, 'two-apps@example.com');
      await signInTo(quiet, browser, 'two-apps@example.com');
      const before = receiver.received.length;
      const end = oidc.buildEndSessionUrl(wiki, { id_token_hint: first.tokens.id_token!, post_logout_redirect_uri: SIGNED_OUT });
      const confirm = await browser.get(end.href);
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(String(confirm.body))![1]!;
      const action = /action="([^"]+)"/.exec(String(confirm.body))![1]!;
      assert.equal((await browser.request('POST', action, undefined, { xsrf, logout: 'yes' })).status, 303);
      const [toWiki] = await logoutsFor(String(first.claims.sid));
      assert.equal(toWiki!.aud, wiki.clientMetadata().client_id);
      const [toForum] = await logoutsFor(String(second.claims.sid));
      assert.equal(toForum!.aud, forum.clientMetadata().client_id);
      assert.equal(receiver.received.length - before, 2, 'nothing for the application without a back-channel address');
      assert.equal((await browser.get(`${front()}/api/session`)).status, 401);
    });
  });
}
