// A bare OpenID Connect provider for tests: the `oidc-provider` library itself (the version Gatehouse
// depends on, its default in-memory adapter) with no Gatehouse around it, on a loopback port. It
// says what the test tells it to, including what Gatehouse's own provider never says (Gatehouse
// vouches for every address: its email_verified is always true): an unverified email, any amr and
// acr. One confidential client (client_secret_basic, PKCE required); one account, read at each
// authorization. Its interaction pages answer at once: the first signs the current account in
// afresh (never a remembered session), the second grants what was asked; or both deny.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { CookieBrowser } from './cookie-browser.js';

/** The account's claims as the ID token carries them; amr and acr as its sign-in proved them. */
export interface BareAccount {
  sub: string;
  email: string;
  email_verified: boolean;
  name?: string;
  amr?: string[];
  acr?: string;
}

export interface BareOidcProvider {
  issuer: string;
  client: { id: string; secret: string };
  /** Who signs in at the next authorization: a test may change it between flows. */
  account: BareAccount;
  /** Whether the person denies (access_denied at the client's redirect URI) instead of signing in. */
  deny: boolean;
  /**
   * As the person's browser would (one cookie jar for every call, so the provider's session stays):
   * from an authorization URL through sign-in and consent to the redirect to the client; answers that URL.
   */
  authorize(url: string): Promise<string>;
  stop(): Promise<void>;
}

export interface BareOidcOptions {
  redirectUris: string[];
  account: BareAccount;
  /** Discovery's acr_values_supported (pwd and mfa, and the first account's acr, by default); any acr the account has is sent. */
  acrValues?: string[];
}

/** Every authorization signs in again: the test's current account, not the one a cookie remembers. */
const freshSignIn = new interactionPolicy.Check(
  'bare_fresh_sign_in',
  'The bare provider signs the account in at every authorization',
  (ctx: KoaContextWithOIDC) => (ctx.oidc.result?.login ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT),
);

function signingKey() {
  const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: randomUUID(), use: 'sig', alg: 'RS256' };
}

function configuration(handle: BareOidcProvider, options: BareOidcOptions): Configuration {
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(freshSignIn);
  const acrValues = new Set([...(options.acrValues ?? ['pwd', 'mfa']), ...(options.account.acr ? [options.account.acr] : [])]);
  return {
    clients: [
      {
        client_id: handle.client.id,
        client_secret: handle.client.secret,
        redirect_uris: options.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [signingKey() as never] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'email', 'profile'],
    claims: { openid: ['sub', 'acr', 'amr', 'auth_time'], email: ['email', 'email_verified'], profile: ['name'], acr: null, amr: null, auth_time: null },
    acrValues: [...acrValues],
    responseTypes: ['code'],
    // The scopes' claims in the ID token itself (what an upstream relying party reads), not only userinfo.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    ttl: { AuthorizationCode: 60, AccessToken: 600, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
    features: { devInteractions: { enabled: false } },
    interactions: { policy, url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, sub) => {
      const { account } = handle;
      if (sub !== account.sub) return undefined;
      const { amr: _amr, acr: _acr, ...claims } = account;
      return { accountId: sub, claims: () => ({ ...claims }) };
    },
  };
}

/** The interaction page: signs the current account in, or grants what the client asked for. */
async function interact(provider: Provider, handle: BareOidcProvider, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (handle.deny)
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The person denied it.' }, { mergeWithLastSubmission: false });
  if (details.prompt.name === 'login') {
    const { sub, amr, acr } = handle.account;
    return provider.interactionFinished(req, res, { login: { accountId: sub, amr, acr, remember: false } }, { mergeWithLastSubmission: false });
  }
  const accountId = details.session!.accountId;
  const grant = (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ?? new provider.Grant({ accountId, clientId: handle.client.id });
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

/** oidc-provider's form_post page (a form of hidden inputs its script submits), or null. */
function selfSubmittingForm(body: unknown): { action: string; fields: Record<string, string> } | null {
  const form = typeof body === 'string' ? /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(body) : null;
  if (!form) return null;
  const inputs = [...form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/?>/g)];
  return { action: form[1]!, fields: Object.fromEntries(inputs.map((m) => [m[1]!, m[2]!])) };
}

export async function startBareOidcProvider(options: BareOidcOptions): Promise<BareOidcProvider> {
  let handler: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const isRedirect = (url: string) => options.redirectUris.some((uri) => url === uri || url.startsWith(`${uri}?`));
  const browser = new CookieBrowser();

  const handle: BareOidcProvider = {
    issuer,
    client: { id: `bare-${randomUUID()}`, secret: randomBytes(24).toString('base64url') },
    account: { ...options.account },
    deny: false,
    async authorize(url) {
      let answer = await browser.follow(url, isRedirect);
      const form = selfSubmittingForm(answer.body);
      // Another account than the one the provider's session holds: the provider first ends that
      // session through a form its page submits by script (a browser would), then resumes.
      if (!answer.location && form) {
        answer = await browser.request('POST', form.action, undefined, form.fields);
        if (answer.location && !isRedirect(answer.location)) answer = await browser.follow(answer.location, isRedirect);
      }
      if (!answer.location || !isRedirect(answer.location))
        throw new Error(`the bare provider did not redirect to the client: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.location;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };

  const provider = new Provider(issuer, configuration(handle, options));
  const oidc = provider.callback();
  handler = (req, res) => {
    if (req.method === 'GET' && /^\/interaction\/[\w-]+$/.test(req.url ?? ''))
      return void interact(provider, handle, req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      });
    oidc(req, res);
  };
  return handle;
}
