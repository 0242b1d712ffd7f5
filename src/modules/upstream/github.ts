// Signing in with GitHub (github.com or GitHub Enterprise Server). GitHub speaks OAuth 2.0, not
// OpenID Connect: no discovery, no ID token. The code exchange still goes through openid-client
// (state, PKCE S256, the client secret, timeouts), and who the person is comes from the user API
// with the access token: GET /user (the stable numeric id) and GET /user/emails (the PRIMARY
// address and whether GitHub verified it). /user's own `email` is the public profile address,
// which the person types and GitHub does not vouch for: never read.
// References: docs.github.com "Authorizing OAuth apps" (web application flow, PKCE since 2025-07),
// "REST API endpoints for users" and "for emails".
import * as client from 'openid-client';
import type { UpstreamIdentity } from './identity.js';

export interface GitHubEndpoints {
  issuer: string;
  authorize: string;
  token: string;
  api: string;
}

const GITHUB_COM = 'https://github.com';
/** `read:user` for /user, `user:email` for /user/emails (the addresses and their verified flags). */
export const GITHUB_SCOPE = 'read:user user:email';
/** GitHub refuses an API request with no User-Agent (REST API "User agent required"). */
const USER_AGENT = 'Gatehouse';
const API_VERSION = '2022-11-28';

/** github.com has its API on another host; GitHub Enterprise Server serves it under `/api/v3`. */
export function githubEndpoints(base: URL): GitHubEndpoints {
  const root = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
  const api = root === GITHUB_COM ? 'https://api.github.com' : `${root}/api/v3`;
  return { issuer: root, authorize: `${root}/login/oauth/authorize`, token: `${root}/login/oauth/access_token`, api };
}

/**
 * GitHub answers a refused code exchange (a wrong secret, a spent or expired code, a wrong PKCE
 * verifier) with status 200 and an `error` body, where RFC 6749 §5.2 says 400 (octokit's own client
 * handles it so: octokit/auth-oauth-app.js#13). Made a 400 here, so openid-client reports GitHub's
 * error code (ResponseBodyError) instead of a missing access_token.
 */
function refusalsAsErrors(tokenEndpoint: string): client.CustomFetch {
  const token = new URL(tokenEndpoint);
  return async (url, options) => {
    const response = await fetch(url, options as RequestInit);
    const at = new URL(url);
    if (response.status !== 200 || at.origin !== token.origin || at.pathname !== token.pathname) return response;
    const body: unknown = await response
      .clone()
      .json()
      .catch(() => null);
    if (typeof body !== 'object' || body === null || typeof (body as { error?: unknown }).error !== 'string') return response;
    return new Response(JSON.stringify(body), { status: 400, headers: { 'content-type': 'application/json' } });
  };
}

/**
 * The provider as openid-client's Configuration, from GitHub's fixed endpoints. `insecure` only for
 * a loopback http base (tests, a local lab); `clockSkewSeconds` as for an OIDC provider (GitHub
 * sends nothing dated today, but the client judges by Gatehouse's clock all the same).
 */
export function githubConfiguration(
  endpoints: GitHubEndpoints,
  clientId: string,
  clientSecret: string,
  options: { insecure: boolean; timeoutSeconds: number; clockSkewSeconds: number },
): client.Configuration {
  const server: client.ServerMetadata = {
    issuer: endpoints.issuer,
    authorization_endpoint: endpoints.authorize,
    token_endpoint: endpoints.token,
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_post'],
  };
  // GitHub documents its client secret as a form parameter of the token request (client_secret_post).
  const config = new client.Configuration(server, clientId, { [client.clockSkew]: options.clockSkewSeconds }, client.ClientSecretPost(clientSecret));
  config.timeout = options.timeoutSeconds;
  if (options.insecure) client.allowInsecureRequests(config);
  config[client.customFetch] = refusalsAsErrors(endpoints.token);
  return config;
}

/** Where the browser goes: PKCE S256 (GitHub accepts no other method) and state; no nonce (no ID token). */
export function githubAuthorizationUrl(config: client.Configuration, request: { redirectUri: string; state: string; codeChallenge: string }): URL {
  return client.buildAuthorizationUrl(config, {
    redirect_uri: request.redirectUri,
    scope: GITHUB_SCOPE,
    state: request.state,
    code_challenge: request.codeChallenge,
    code_challenge_method: 'S256',
  });
}

/** An answer of GitHub's user API that is not what GitHub documents: nothing of it is believed. */
export class GitHubAnswerError extends Error {
  readonly code = 'GITHUB_INVALID_ANSWER';
}

async function getJson(config: client.Configuration, accessToken: string, url: string): Promise<unknown> {
  const headers = new Headers({ accept: 'application/vnd.github+json', 'user-agent': USER_AGENT, 'x-github-api-version': API_VERSION });
  const response = await client.fetchProtectedResource(config, accessToken, new URL(url), 'GET', undefined, headers);
  if (response.status !== 200) throw new GitHubAnswerError(`GitHub answered ${response.status} at ${new URL(url).pathname}`);
  try {
    return await response.json();
  } catch {
    throw new GitHubAnswerError(`GitHub answered no JSON at ${new URL(url).pathname}`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function parseUser(body: unknown): { id: number; name: string | null } {
  if (!isObject(body) || typeof body.id !== 'number' || !Number.isSafeInteger(body.id) || body.id <= 0)
    throw new GitHubAnswerError('/user has no positive integer id');
  if (body.name !== undefined && body.name !== null && typeof body.name !== 'string') throw new GitHubAnswerError('/user has a name that is not a string');
  return { id: body.id, name: typeof body.name === 'string' && body.name.trim() !== '' ? body.name.trim() : null };
}

interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

function parseEmails(body: unknown): GitHubEmail[] {
  if (!Array.isArray(body)) throw new GitHubAnswerError('/user/emails is not an array');
  const emails = body.map((entry: unknown) => {
    if (!isObject(entry) || typeof entry.email !== 'string' || entry.email === '' || typeof entry.primary !== 'boolean' || typeof entry.verified !== 'boolean')
      throw new GitHubAnswerError('/user/emails has an entry without email, primary and verified');
    return { email: entry.email, primary: entry.primary, verified: entry.verified };
  });
  // An account has one primary address: two would leave the choice to whoever ordered the answer.
  if (emails.filter((e) => e.primary).length > 1) throw new GitHubAnswerError('/user/emails has several primary addresses');
  return emails;
}

/**
 * The callback's code exchanged (state and PKCE checked; GitHub's answer has no ID token, so none is
 * expected), then the person as GitHub's user API says: the numeric id as subject, the primary
 * address with its verified flag. Throws on any refusal or any answer not of GitHub's documented shape.
 */
export async function githubIdentity(
  config: client.Configuration,
  endpoints: GitHubEndpoints,
  callbackUrl: URL,
  checks: { verifier: string; state: string },
): Promise<UpstreamIdentity> {
  const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: checks.verifier,
    expectedState: checks.state,
    idTokenExpected: false,
  });
  const user = parseUser(await getJson(config, tokens.access_token, `${endpoints.api}/user`));
  const primary = parseEmails(await getJson(config, tokens.access_token, `${endpoints.api}/user/emails`)).find((e) => e.primary);
  return {
    subject: String(user.id),
    email: primary?.email ?? null,
    emailVerified: primary?.verified === true,
    name: user.name,
    amr: [],
    acr: null,
    authTime: null,
    claims: {},
  };
}
