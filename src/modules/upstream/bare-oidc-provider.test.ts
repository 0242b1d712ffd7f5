// The bare oidc-provider (test-support/bare-oidc-provider.ts) works with openid-client as an
// upstream provider would: discovery, the code flow with PKCE, state and nonce, and an ID token that
// says what the test set, an unverified email above all (which Gatehouse's own provider never says).
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { startBareOidcProvider, type BareAccount, type BareOidcProvider } from '../../test-support/bare-oidc-provider.js';

// Never listened on: the provider's redirect is read, not followed.
const CALLBACK = 'http://127.0.0.1:9/api/upstream/callback';
const unverified: BareAccount = { sub: 'upstream-1', email: 'unverified@example.com', email_verified: false, name: 'Una Verified', amr: ['pwd'], acr: 'pwd' };

describe('a bare oidc-provider', () => {
  let bare: BareOidcProvider;
  let config: client.Configuration;

  before(async () => {
    bare = await startBareOidcProvider({ redirectUris: [CALLBACK], account: unverified });
    config = await client.discovery(new URL(bare.issuer), bare.client.id, undefined, client.ClientSecretBasic(bare.client.secret), {
      execute: [client.allowInsecureRequests],
      timeout: 5,
    });
  });
  after(() => bare.stop());
  beforeEach(() => {
    bare.account = { ...unverified };
    bare.deny = false;
  });

  /** The whole code flow, as Gatehouse's upstream sign-in runs it: answers the ID token's claims. */
  async function signIn(): Promise<client.IDToken> {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const callback = new URL(await bare.authorize(url.href));
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    return tokens.claims()!;
  }

  it('is found by discovery, with the claims an upstream sign-in reads', () => {
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, bare.issuer);
    for (const claim of ['sub', 'email', 'email_verified', 'amr', 'acr']) assert.ok(metadata.claims_supported?.includes(claim), claim);
    assert.ok(metadata.code_challenge_methods_supported?.includes('S256'));
  });

  it('issues an ID token whose email is unverified, with the amr and acr the test set', async () => {
    const claims = await signIn();
    assert.equal(claims.iss, bare.issuer);
    assert.equal(claims.aud, bare.client.id);
    assert.equal(claims.sub, 'upstream-1');
    assert.equal(claims.email, 'unverified@example.com');
    assert.equal(claims.email_verified, false);
    assert.equal(claims.name, 'Una Verified');
    assert.deepEqual(claims.amr, ['pwd']);
    assert.equal(claims.acr, 'pwd');
  });

  it('signs in whoever the test set now, not the account a cookie remembers', async () => {
    await signIn();
    bare.account = { sub: 'upstream-2', email: 'second@example.com', email_verified: true, amr: ['pwd', 'otp', 'mfa'], acr: 'mfa' };
    const claims = await signIn();
    assert.equal(claims.sub, 'upstream-2');
    assert.equal(claims.email_verified, true);
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(claims.acr, 'mfa');
  });

  it('answers access_denied at the redirect URI when the person denies', async () => {
    bare.deny = true;
    await assert.rejects(signIn(), (e: unknown) => e instanceof client.AuthorizationResponseError && e.error === 'access_denied');
  });
});
