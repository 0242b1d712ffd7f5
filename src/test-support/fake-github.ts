// A fake of GitHub's OAuth app web flow and the two user API endpoints a sign-in reads, on node:http
// on a loopback port, laid out as GitHub Enterprise Server is (`/login/oauth/*`, `/api/v3/*`).
// Written from GitHub's documentation, not from our client: "Authorizing OAuth apps" (parameters,
// the redirect URL rules, the 10-minute code, PKCE S256 only), "Troubleshooting OAuth app access
// token request errors" (the error codes, answered with status 200 as GitHub does: see
// octokit/auth-oauth-app.js#13), the REST API's "User agent required", "Get the authenticated user"
// and "List email addresses for the authenticated user" (the user:email scope).
// Stricter than GitHub on one point: PKCE is required here, so a client that forgets it fails.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
  /** The primary address's visibility on the profile; 'public' makes it /user's `email`. */
  visibility?: 'public' | 'private';
}

export interface FakeGitHubUser {
  id: number;
  login: string;
  name: string | null;
  emails: FakeGitHubEmail[];
}

export interface FakeGitHubOptions {
  clientId: string;
  clientSecret: string;
  /** The OAuth app's registered callback URL. */
  callbackUrl: string;
  users: FakeGitHubUser[];
  /** The clock codes expire by (ms); the real one by default. */
  clock?: () => number;
  /** Refuse a token to a user whose primary email is unverified (GitHub's `unverified_user_email`). */
  refuseUnverifiedEmail?: boolean;
}

export interface FakeGitHub {
  baseUrl: string;
  /** The users GitHub knows, by login: a test may change them between sign-ins. */
  users: Map<string, FakeGitHubUser>;
  /** Who is signed in at GitHub for the next authorizations, and their answer on the consent page. */
  signIn(login: string, approve?: boolean): void;
  /** Makes the API answer `body` at `path` (under /api/v3, e.g. '/user/emails') instead of the truth; undefined restores it. */
  tamper(path: string, body: unknown): void;
  stop(): Promise<void>;
}

const CODE_MS = 10 * 60_000;
const DOCS = 'https://docs.github.com/apps/managing-oauth-apps';

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  scope: string[];
  login: string;
  expiresAt: number;
}

const sha256url = (text: string) => createHash('sha256').update(text).digest('base64url');
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * GitHub's rule: the host (a subdomain too) and port of the callback URL, a path at or below its
 * path; a loopback address may use any port (for native applications).
 */
function redirectAllowed(registered: URL, given: string): boolean {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    return false;
  }
  const host = url.hostname === registered.hostname || url.hostname.endsWith(`.${registered.hostname}`);
  const port = url.port === registered.port || LOOPBACK.has(registered.hostname);
  const base = registered.pathname.replace(/\/$/, '');
  const path = url.pathname === registered.pathname || url.pathname.startsWith(`${base}/`);
  return url.protocol === registered.protocol && host && port && path;
}

async function readBody(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  // GitHub takes the token request's parameters as a form or as JSON.
  if ((req.headers['content-type'] ?? '').startsWith('application/json')) {
    const parsed = JSON.parse(text || '{}') as Record<string, unknown>;
    return new URLSearchParams(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  }
  return new URLSearchParams(text);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function redirect(res: http.ServerResponse, to: string, params: Record<string, string | null>): void {
  const url = new URL(to);
  for (const [k, v] of Object.entries(params)) if (v !== null) url.searchParams.set(k, v);
  res.writeHead(302, { location: url.href });
  res.end();
}

export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const clock = options.clock ?? Date.now;
  const registered = new URL(options.callbackUrl);
  const users = new Map(options.users.map((u) => [u.login, u]));
  const codes = new Map<string, IssuedCode>();
  const tokens = new Map<string, { login: string; scope: string[] }>();
  const tampered = new Map<string, unknown>();
  let person: { login: string; approve: boolean } | null = null;

  function authorize(url: URL, res: http.ServerResponse) {
    const q = url.searchParams;
    // An unknown application: GitHub shows its 404 page.
    if (q.get('client_id') !== options.clientId) return sendJson(res, 404, { message: 'Not Found' });
    const state = q.get('state');
    const given = q.get('redirect_uri');
    if (given !== null && !redirectAllowed(registered, given))
      return redirect(res, registered.href, {
        error: 'redirect_uri_mismatch',
        error_description: 'The redirect_uri MUST match the registered callback URL for this application.',
        error_uri: `${DOCS}/troubleshooting-authorization-request-errors/#redirect-uri-mismatch`,
        state,
      });
    const redirectUri = given ?? registered.href;
    const challenge = q.get('code_challenge');
    if (q.get('code_challenge_method') !== 'S256' || challenge === null || !/^[A-Za-z0-9_-]{43}$/.test(challenge))
      return redirect(res, redirectUri, { error: 'invalid_request', error_description: 'PKCE with code_challenge_method S256 is required.', state });
    // Nobody signed in: GitHub's sign-in page, no redirect.
    if (person === null || !users.has(person.login)) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end('<!DOCTYPE html><title>Sign in to GitHub</title>');
    }
    if (!person.approve)
      return redirect(res, redirectUri, {
        error: 'access_denied',
        error_description: 'The user has denied your application access.',
        error_uri: `${DOCS}/troubleshooting-authorization-request-errors/#access-denied`,
        state,
      });
    const code = randomBytes(10).toString('hex');
    const scope = (q.get('scope') ?? '').split(/[\s,]+/).filter(Boolean);
    codes.set(code, { clientId: options.clientId, redirectUri, challenge, scope, login: person.login, expiresAt: clock() + CODE_MS });
    redirect(res, redirectUri, { code, state });
  }

  /** The refusal, or the issued code's token; GitHub answers both with status 200. */
  function exchange(p: URLSearchParams): Record<string, string> {
    const refuse = (error: string, description: string, anchor: string) => ({
      error,
      error_description: description,
      error_uri: `${DOCS}/troubleshooting-oauth-app-access-token-request-errors/#${anchor}`,
    });
    if (p.get('client_id') !== options.clientId || p.get('client_secret') !== options.clientSecret)
      return refuse('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.', 'incorrect-client-credentials');
    const code = codes.get(p.get('code') ?? '');
    // Spent on its first presentation, whatever follows: a code works once.
    codes.delete(p.get('code') ?? '');
    const bad = refuse('bad_verification_code', 'The code passed is incorrect or expired.', 'bad-verification-code');
    if (!code || code.clientId !== options.clientId || code.expiresAt <= clock()) return bad;
    const redirectUri = p.get('redirect_uri');
    if (redirectUri !== null && redirectUri !== code.redirectUri)
      return refuse('redirect_uri_mismatch', 'The redirect_uri MUST match the registered callback URL for this application.', 'redirect-uri-mismatch2');
    const verifier = p.get('code_verifier');
    if (verifier === null || sha256url(verifier) !== code.challenge) return bad;
    const user = users.get(code.login);
    if (!user) return bad;
    if (options.refuseUnverifiedEmail && !user.emails.some((e) => e.primary && e.verified))
      return refuse('unverified_user_email', 'The user must have a verified primary email.', 'unverified-user-email');
    const token = `gho_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'x').slice(0, 36)}`;
    tokens.set(token, { login: user.login, scope: code.scope });
    return { access_token: token, token_type: 'bearer', scope: code.scope.join(',') };
  }

  async function token(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const answer = exchange(await readBody(req));
    // The format follows the Accept header: JSON when asked, a form otherwise.
    if ((req.headers.accept ?? '').includes('application/json')) return sendJson(res, 200, answer);
    res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' });
    res.end(new URLSearchParams(answer).toString());
  }

  function api(req: http.IncomingMessage, res: http.ServerResponse, path: string) {
    if (!req.headers['user-agent']) {
      res.writeHead(403, { 'content-type': 'text/plain' });
      return void res.end('Request forbidden by administrative rules. Please make sure your request has a User-Agent header.\n');
    }
    const match = /^(?:bearer|token) (\S+)$/i.exec(req.headers.authorization ?? '');
    const grant = match ? tokens.get(match[1]!) : undefined;
    if (!grant)
      return sendJson(res, 401, {
        message: match ? 'Bad credentials' : 'Requires authentication',
        documentation_url: 'https://docs.github.com/rest',
        status: '401',
      });
    const user = users.get(grant.login);
    const headers = { 'x-oauth-scopes': grant.scope.join(', ') };
    if (!user || req.method !== 'GET') return sendJson(res, 404, { message: 'Not Found', status: '404' }, headers);
    if (tampered.has(path)) return sendJson(res, 200, tampered.get(path), headers);
    if (path === '/user') {
      const publicEmail = user.emails.find((e) => e.primary && e.visibility === 'public')?.email ?? null;
      return sendJson(
        res,
        200,
        { login: user.login, id: user.id, node_id: `U_${user.id}`, type: 'User', site_admin: false, name: user.name, email: publicEmail },
        headers,
      );
    }
    // Without user:email (or user) the addresses are not the application's to read.
    if (path === '/user/emails' && (grant.scope.includes('user:email') || grant.scope.includes('user')))
      return sendJson(
        res,
        200,
        user.emails.map((e) => ({ email: e.email, primary: e.primary, verified: e.verified, visibility: e.primary ? (e.visibility ?? 'private') : null })),
        headers,
      );
    sendJson(res, 404, { message: 'Not Found', status: '404' }, headers);
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake-github');
    const done = (error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { message: String(error) });
      else res.end();
    };
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') return authorize(url, res);
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') return void token(req, res).catch(done);
    if (url.pathname.startsWith('/api/v3/')) return api(req, res, url.pathname.slice('/api/v3'.length));
    sendJson(res, 404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    users,
    signIn(login, approve = true) {
      person = { login, approve };
    },
    tamper(path, body) {
      if (body === undefined) tampered.delete(path);
      else tampered.set(path, body);
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
