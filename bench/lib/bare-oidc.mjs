// The limit for Gatehouse's OpenID Connect endpoints: the same `oidc-provider` (the root's
// dependency, so the same version) with its in-memory adapter and nothing around it, configured as
// Gatehouse configures it where that costs work per request (RS256 with a 2048-bit key, PKCE, the
// same scopes, claims and lifetimes). One confidential client (client_secret_basic). Its
// interaction page answers at once (a new account signs in, then consents), so a browser that went
// through it once is given codes straight away, as at Gatehouse.
// argv: port, client id, client secret, redirect URI.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';
// The library's own in-memory adapter and its store, with room for the benchmark's pools: its
// default store keeps 1,000 entries (a development default) and would evict codes before they are
// redeemed. No package exports map: these are the files the default itself uses.
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const store = new LRU({ maxSize: 1_000_000 });
const emailOf = (sub) => `${sub}@bench.example`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const provider = new Provider(issuer, {
  adapter: (model) => new MemoryAdapter(model, store),
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' }] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
  claims: {
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    groups: ['groups'],
    acr: null,
    amr: null,
    auth_time: null,
    sid: null,
    iss: null,
  },
  acrValues: ['pwd', 'mfa'],
  responseTypes: ['code'],
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false }, revocation: { enabled: true }, userinfo: { enabled: true } },
  rotateRefreshToken: true,
  pkce: { required: () => true },
  ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 14 * 86400, Interaction: 3600, Session: 14 * 86400, Grant: 14 * 86400 },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: (_ctx, sub) => ({
    accountId: sub,
    claims: () => ({ sub, email: emailOf(sub), email_verified: true, name: emailOf(sub), preferred_username: emailOf(sub) }),
  }),
});

/** Signs a new account in (each browser its own, as at Gatehouse), then grants what the client asked for. */
async function interact(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    const login = { accountId: randomUUID(), amr: ['pwd'], acr: 'pwd' };
    return provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
  }
  const grant = new provider.Grant({ accountId: details.session.accountId, clientId });
  const missing = details.prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

const oidc = provider.callback();
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url?.startsWith('/interaction/'))
    return void interact(req, res).catch((error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)));
  oidc(req, res);
});
// Keep-alive as long as Fastify keeps it (72 s) at Gatehouse: the driver reuses its sockets across phases.
server.keepAliveTimeout = 72_000;
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
