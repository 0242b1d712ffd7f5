// Groups through OpenID Connect, driven by openid-client (panva's certified RP library) against
// real server processes: the `groups` scope puts the account's groups in the ID token and userinfo
// (and only that scope does); an application restricted to a group answers anyone outside it with
// access_denied at its own redirect address, audited; a member gets tokens, and once removed from the
// group their refresh token, their access token at userinfo and their existing provider session
// stop working. On SQLite (one instance) and across two instances sharing PostgreSQL, where the
// browser signs in on one and the application redeems and refreshes on the other.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { openDatabase } from '../../db/database.js';
import { DIALECTS, type TestDatabase } from '../../test-support/databases.js';
import { seedUser, startTestApp } from '../../test-support/harness.js';
import { freePort, startServerProcess, type ServerProcess, realClock } from '../../test-support/processes.js';
import { CookieBrowser } from '../../test-support/cookie-browser.js';
import { driveInteraction } from '../../test-support/oidc-interaction.js';
import { GroupsService } from '../access/index.js';

const CALLBACK = 'http://127.0.0.1:9/callback';
const isCallback = (url: string) => url.startsWith('http://127.0.0.1:9/');

const authorize = (browser: CookieBrowser, start: string, base: string, email: string) =>
  driveInteraction(browser, start, { email }, { base: () => base, isCallback, rounds: 5 });

for (const dialect of DIALECTS) {
  const instances = dialect.name === 'postgres' ? 2 : 1;
  describe(`OpenID Connect groups with openid-client on ${dialect.name} (${instances} instance${instances > 1 ? 's' : ''})`, { skip: dialect.skip }, () => {
    let database: TestDatabase;
    const servers: ServerProcess[] = [];
    const masterKey = randomBytes(32);
    let publicUrl = '';
    let alice = '';
    let familyId = '';
    let photosId = '';
    let wiki: oidc.Configuration;
    let photos: oidc.Configuration;
    const front = () => servers[0]!.baseUrl;
    /** The instance the application's server talks to: the other one, when there are two. */
    const backend = () => servers[servers.length - 1]!.baseUrl;

    const discover = async (clientId: string, secret: string) => {
      const toBackend: oidc.CustomFetch = (url, options) => fetch(url.replace(publicUrl, backend()), options as RequestInit);
      const config = await oidc.discovery(new URL(publicUrl), clientId, undefined, oidc.ClientSecretBasic(secret), {
        execute: [oidc.allowInsecureRequests],
        [oidc.customFetch]: toBackend,
      });
      oidc.enableNonRepudiationChecks(config);
      return config;
    };
    const startFor = async (config: oidc.Configuration, scope: string, extra: Record<string, string> = {}) => {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: CALLBACK,
        scope,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        ...extra,
      });
      return { href: url.href, verifier, state };
    };
    const auditEvents = async (kind: string) => {
      const opened = openDatabase(database.url);
      try {
        const rows = await opened.db.selectFrom('audit_events').select(['details', 'subject_email']).where('kind', '=', kind).execute();
        return rows.map((r) => ({ email: r.subject_email, details: JSON.parse(String(r.details)) as Record<string, unknown> }));
      } finally {
        await opened.close();
      }
    };

    before(async () => {
      database = await dialect.create();
      const seed = await startTestApp({ url: database.url, masterKey, clock: realClock });
      alice = (await seedUser(seed.s, 'alice@example.com')).id;
      await seedUser(seed.s, 'bob@example.com');
      const family = await seed.s.groups.create('family', 'cli', null);
      const friends = await seed.s.groups.create('friends', 'cli', null);
      familyId = family.id;
      await seed.s.groups.addMember(family.id, alice, 'cli', null);
      await seed.s.groups.addMember(friends.id, alice, 'cli', null);
      const open = await seed.s.clients.create({ name: 'Wiki', redirectUris: [CALLBACK], trusted: true }, null, null);
      const restricted = await seed.s.clients.create({ name: 'Photos', redirectUris: [CALLBACK], allowedGroups: ['family'] }, null, null);
      assert.deepEqual(restricted.application.allowedGroups, ['family']);
      photosId = restricted.client_id;
      await seed.close();

      const port = await freePort();
      publicUrl = `http://127.0.0.1:${port}`;
      const env = { GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64'), GATEHOUSE_PUBLIC_URL: publicUrl };
      servers.push(await startServerProcess({ ...env, GATEHOUSE_PORT: String(port) }));
      if (instances === 2) servers.push(await startServerProcess(env));
      wiki = await discover(open.client_id, open.client_secret!);
      photos = await discover(restricted.client_id, restricted.client_secret!);
    });
    after(async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await database?.drop();
    });

    it('advertises the groups scope and claim in discovery', () => {
      const metadata = wiki.serverMetadata();
      assert.ok(metadata.scopes_supported?.includes('groups'), String(metadata.scopes_supported));
      assert.ok(metadata.claims_supported?.includes('groups'), String(metadata.claims_supported));
    });

    it('puts the groups in the ID token and userinfo when the groups scope is asked, and not otherwise', async () => {
      const browser = new CookieBrowser();
      const withGroups = await startFor(wiki, 'openid email groups');
      const run = await authorize(browser, withGroups.href, front(), 'alice@example.com');
      assert.deepEqual(run.steps, ['sign_in', 'continue']);
      const tokens = await oidc.authorizationCodeGrant(wiki, new URL(run.callback!), {
        pkceCodeVerifier: withGroups.verifier,
        expectedState: withGroups.state,
        idTokenExpected: true,
      });
      assert.deepEqual(tokens.claims()?.groups, ['family', 'friends'], 'in the ID token (mod_auth_openidc and most applications read it there)');
      assert.deepEqual((await oidc.fetchUserInfo(wiki, tokens.access_token, alice)).groups, ['family', 'friends']);

      // The same browser (its provider session) without the scope: no groups anywhere.
      const without = await startFor(wiki, 'openid email');
      const again = await authorize(browser, without.href, front(), 'alice@example.com');
      assert.deepEqual(again.steps, [], 'signed in already: straight back');
      const plain = await oidc.authorizationCodeGrant(wiki, new URL(again.callback!), {
        pkceCodeVerifier: without.verifier,
        expectedState: without.state,
        idTokenExpected: true,
      });
      assert.equal(plain.claims()?.email, 'alice@example.com');
      assert.equal('groups' in plain.claims()!, false);
      assert.equal('groups' in (await oidc.fetchUserInfo(wiki, plain.access_token, alice)), false);
    });

    it('answers someone outside the application’s groups with access_denied at its redirect address, and audits it', async () => {
      const browser = new CookieBrowser();
      const start = await startFor(photos, 'openid email');
      const run = await authorize(browser, start.href, front(), 'bob@example.com');
      assert.deepEqual(run.steps, ['sign_in', 'continue'], 'no consent page for an application Bob may not use');
      const back = new URL(run.callback!);
      assert.equal(`${back.origin}${back.pathname}`, CALLBACK);
      assert.equal(back.searchParams.get('error'), 'access_denied');
      assert.equal(back.searchParams.get('state'), start.state);
      assert.equal(back.searchParams.get('code'), null, 'no code');
      await assert.rejects(
        oidc.authorizationCodeGrant(photos, back, { pkceCodeVerifier: start.verifier, expectedState: start.state }),
        (e: oidc.AuthorizationResponseError) => e.error === 'access_denied',
      );
      // Asked again with Bob's provider session (no interaction this time): refused the same way.
      const second = await startFor(photos, 'openid', { prompt: 'none' });
      const silent = await browser.follow(second.href, isCallback);
      assert.equal(new URL(silent.location!).searchParams.get('error'), 'access_denied');

      const refused = await auditEvents('access.refused');
      assert.ok(
        refused.some((e) => e.email === 'bob@example.com' && e.details.client === photosId && e.details.reason === 'not_in_group'),
        JSON.stringify(refused),
      );
    });

    it('gives a member tokens; once removed from the group, refresh, userinfo and the existing session stop working', async () => {
      const browser = new CookieBrowser();
      const start = await startFor(photos, 'openid email groups offline_access', { prompt: 'consent' });
      const run = await authorize(browser, start.href, front(), 'alice@example.com');
      assert.deepEqual(run.steps, ['sign_in', 'continue', 'consent']);
      const tokens = await oidc.authorizationCodeGrant(photos, new URL(run.callback!), {
        pkceCodeVerifier: start.verifier,
        expectedState: start.state,
        idTokenExpected: true,
      });
      assert.deepEqual(tokens.claims()?.groups, ['family', 'friends']);
      const refreshed = await oidc.refreshTokenGrant(photos, tokens.refresh_token!);
      assert.equal(refreshed.claims()?.sub, alice, 'a member refreshes');

      const opened = openDatabase(database.url);
      try {
        assert.equal(await new GroupsService({ db: opened.db, clock: Date.now }).removeMember(familyId, alice, 'cli', null), true);
      } finally {
        await opened.close();
      }
      await assert.rejects(
        oidc.refreshTokenGrant(photos, refreshed.refresh_token!),
        (e: oidc.ResponseBodyError) => e.error === 'invalid_grant',
        'no new tokens once outside the group',
      );
      await assert.rejects(oidc.fetchUserInfo(photos, refreshed.access_token, alice), (e: oidc.WWWAuthenticateChallengeError) => e.status === 401);
      const again = await startFor(photos, 'openid');
      const answer = await browser.follow(again.href, isCallback);
      assert.equal(new URL(answer.location!).searchParams.get('error'), 'access_denied', 'her provider session gets no code either');
      // The open application is unaffected: its groups claim follows the account, read at token time.
      const wikiStart = await startFor(wiki, 'openid groups');
      const wikiRun = await authorize(browser, wikiStart.href, front(), 'alice@example.com');
      const wikiTokens = await oidc.authorizationCodeGrant(wiki, new URL(wikiRun.callback!), {
        pkceCodeVerifier: wikiStart.verifier,
        expectedState: wikiStart.state,
        idTokenExpected: true,
      });
      assert.deepEqual(wikiTokens.claims()?.groups, ['friends']);

      const refused = await auditEvents('access.refused');
      assert.ok(
        refused.some((e) => e.email === 'alice@example.com' && e.details.client === photosId && e.details.at === 'token'),
        JSON.stringify(refused),
      );
    });
  });
}
