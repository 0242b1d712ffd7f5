// github.ts against a fake GitHub written from GitHub's documentation (test-support/fake-github.ts),
// over real HTTP: the authorization redirect, the code exchange through openid-client, the user
// API. Who the person is comes from the primary address of /user/emails and its verified flag,
// never /user's public email; every refusal and every answer of the wrong shape throws.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { TestClock } from '../../test-support/clock.js';
import { startFakeGitHub, type FakeGitHub } from '../../test-support/fake-github.js';
import { GitHubAnswerError, githubAuthorizationUrl, githubConfiguration, githubEndpoints, githubIdentity, type GitHubEndpoints } from './github.js';

const CLIENT = { id: 'Iv1.gatehouse-test', secret: 'github-client-secret-for-tests' };
// Never listened on: the fake's redirect is read, not followed.
const CALLBACK = 'http://127.0.0.1:9/api/upstream/callback';
const OPTIONS = { insecure: true, timeoutSeconds: 5, clockSkewSeconds: 0 };

const octocat = {
  id: 583231,
  login: 'octocat',
  name: 'The Octocat',
  emails: [
    { email: 'octocat@old.example', primary: false, verified: true },
    { email: 'octocat@example.com', primary: true, verified: true, visibility: 'public' as const },
  ],
};
const unverified = { id: 9001, login: 'newcomer', name: null, emails: [{ email: 'newcomer@example.com', primary: true, verified: false }] };

interface Flow {
  callback: URL;
  verifier: string;
  state: string;
}

describe('githubEndpoints', () => {
  it('has github.com API on api.github.com', () => {
    assert.deepEqual(githubEndpoints(new URL('https://github.com')), {
      issuer: 'https://github.com',
      authorize: 'https://github.com/login/oauth/authorize',
      token: 'https://github.com/login/oauth/access_token',
      api: 'https://api.github.com',
    });
  });

  it('has GitHub Enterprise Server API under /api/v3 of its own host', () => {
    assert.deepEqual(githubEndpoints(new URL('https://git.example.com/')), {
      issuer: 'https://git.example.com',
      authorize: 'https://git.example.com/login/oauth/authorize',
      token: 'https://git.example.com/login/oauth/access_token',
      api: 'https://git.example.com/api/v3',
    });
  });
});

describe('sign in with GitHub', () => {
  const clock = new TestClock();
  let fake: FakeGitHub;
  let endpoints: GitHubEndpoints;
  let config: client.Configuration;

  before(async () => {
    fake = await startFakeGitHub({ clientId: CLIENT.id, clientSecret: CLIENT.secret, callbackUrl: CALLBACK, users: [octocat, unverified], clock: clock.read });
    endpoints = githubEndpoints(new URL(fake.baseUrl));
    config = githubConfiguration(endpoints, CLIENT.id, CLIENT.secret, OPTIONS);
  });
  after(() => fake.stop());
  beforeEach(() => {
    clock.reset();
    fake.signIn('octocat');
    fake.tamper('/user', undefined);
    fake.tamper('/user/emails', undefined);
  });

  /** The browser's trip to GitHub and back: where GitHub sends it, with this flow's secrets. */
  async function authorize(): Promise<Flow> {
    const state = client.randomState();
    const verifier = client.randomPKCECodeVerifier();
    const url = githubAuthorizationUrl(config, { redirectUri: CALLBACK, state, codeChallenge: await client.calculatePKCECodeChallenge(verifier) });
    const answer = await fetch(url, { redirect: 'manual' });
    assert.equal(answer.status, 302, await answer.text());
    const callback = new URL(answer.headers.get('location')!);
    assert.equal(`${callback.origin}${callback.pathname}`, CALLBACK);
    return { callback, verifier, state };
  }

  const identityOf = (flow: Flow, with_ = config) => githubIdentity(with_, endpoints, flow.callback, { verifier: flow.verifier, state: flow.state });

  /** openid-client's report of GitHub's refusal (GitHub says 200; github.ts makes it the OAuth error it is). */
  const refusedWith = (error: string) => (e: unknown) => e instanceof client.ResponseBodyError && e.error === error;

  it('asks for read:user and user:email with PKCE S256 and no nonce', async () => {
    const url = githubAuthorizationUrl(config, { redirectUri: CALLBACK, state: 'the-state', codeChallenge: 'c'.repeat(43) });
    assert.equal(`${url.origin}${url.pathname}`, `${fake.baseUrl}/login/oauth/authorize`);
    assert.equal(url.searchParams.get('client_id'), CLIENT.id);
    assert.equal(url.searchParams.get('scope'), 'read:user user:email');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(url.searchParams.get('redirect_uri'), CALLBACK);
    assert.equal(url.searchParams.get('state'), 'the-state');
    assert.equal(url.searchParams.has('nonce'), false);
  });

  it('answers the numeric id and the verified primary address', async () => {
    assert.deepEqual(await identityOf(await authorize()), {
      subject: '583231',
      email: 'octocat@example.com',
      emailVerified: true,
      name: 'The Octocat',
      amr: [],
      acr: null,
      authTime: null,
      claims: {},
    });
  });

  it("never takes /user's public email: the primary of /user/emails it is", async () => {
    fake.tamper('/user', { login: 'octocat', id: 583231, name: 'The Octocat', email: 'someone-else@example.com' });
    const identity = await identityOf(await authorize());
    assert.equal(identity.email, 'octocat@example.com');
    assert.equal(identity.emailVerified, true);
  });

  it('says an unverified primary address is unverified', async () => {
    fake.signIn('newcomer');
    const identity = await identityOf(await authorize());
    assert.equal(identity.subject, '9001');
    assert.equal(identity.email, 'newcomer@example.com');
    assert.equal(identity.emailVerified, false);
    assert.equal(identity.name, null);
  });

  it('answers no email when GitHub has no primary address', async () => {
    fake.tamper('/user/emails', [{ email: 'octocat@old.example', primary: false, verified: true }]);
    const identity = await identityOf(await authorize());
    assert.equal(identity.email, null);
    assert.equal(identity.emailVerified, false);
  });

  it('throws on a wrong client secret', async () => {
    const wrong = githubConfiguration(endpoints, CLIENT.id, 'not-the-secret', OPTIONS);
    await assert.rejects(identityOf(await authorize(), wrong), refusedWith('incorrect_client_credentials'));
  });

  it('throws on a replayed code', async () => {
    const flow = await authorize();
    await identityOf(flow);
    await assert.rejects(identityOf(flow), refusedWith('bad_verification_code'));
  });

  it('throws on a wrong PKCE verifier', async () => {
    const flow = await authorize();
    await assert.rejects(identityOf({ ...flow, verifier: client.randomPKCECodeVerifier() }), refusedWith('bad_verification_code'));
  });

  it('throws on a code older than 10 minutes', async () => {
    const flow = await authorize();
    clock.advance(10 * 60_000);
    await assert.rejects(identityOf(flow), refusedWith('bad_verification_code'));
  });

  it('throws on another state than the flow’s (before any exchange)', async () => {
    const flow = await authorize();
    await assert.rejects(identityOf({ ...flow, state: client.randomState() }), (e: unknown) => {
      const cause = (e as { cause?: unknown }).cause;
      return cause instanceof Error && /"state"/.test(cause.message);
    });
    // The code was not spent: the state check came first.
    await identityOf(flow);
  });

  it('throws when the person denies the application', async () => {
    fake.signIn('octocat', false);
    const flow = await authorize();
    assert.equal(flow.callback.searchParams.get('error'), 'access_denied');
    await assert.rejects(identityOf(flow), (e: unknown) => e instanceof client.AuthorizationResponseError && e.error === 'access_denied');
  });

  const malformed: [string, '/user' | '/user/emails', unknown][] = [
    ['/user/emails as an object', '/user/emails', { email: 'octocat@example.com', primary: true, verified: true }],
    ['an address without its verified flag', '/user/emails', [{ email: 'octocat@example.com', primary: true }]],
    ['verified as a string', '/user/emails', [{ email: 'octocat@example.com', primary: true, verified: 'true' }]],
    ['an address that is not a string', '/user/emails', [{ email: null, primary: true, verified: true }]],
    [
      'two primary addresses',
      '/user/emails',
      [
        { email: 'a@example.com', primary: true, verified: true },
        { email: 'b@example.com', primary: true, verified: false },
      ],
    ],
    ['an id that is a string', '/user', { id: '583231', login: 'octocat', name: null }],
    ['an id of 0', '/user', { id: 0, login: 'octocat', name: null }],
    ['a fractional id', '/user', { id: 1.5, login: 'octocat', name: null }],
    ['a name that is a number', '/user', { id: 583231, login: 'octocat', name: 42 }],
  ];
  for (const [what, path, body] of malformed) {
    it(`throws on ${what}`, async () => {
      fake.tamper(path, body);
      await assert.rejects(identityOf(await authorize()), GitHubAnswerError);
    });
  }
});
