// oidc-provider's configuration: the one place that says what Gatehouse's OpenID Connect provider
// does. The protocol is oidc-provider's (OpenID Certified); what is Gatehouse's is who the person
// is (the Gatehouse session, checked on every authorization), which factors they proved, and where
// the interaction pages are (the React UI).
import { hkdfSync } from 'node:crypto';
import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { findUserById } from '../users/index.js';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { createAdapterClass } from './oidc.adapter.js';
import { ID_TOKEN_TTL_SECONDS, type PrivateJwk } from './signing-keys.js';
import { logoutPage, logoutDonePage, errorPage } from './pages.js';
import {
  ACR_MFA,
  ACR_PASSWORD,
  OIDC_PREFIX,
  REAUTHENTICATE_REASON,
  REAUTHENTICATE_SINCE,
  handoffOf,
  issuerOf,
  needsReauthentication,
  needsSecondFactor,
} from './handoff.js';
import { NOT_IN_GROUP, type ClientAccess } from './client-access.js';

export interface ProviderDeps {
  db: Kysely<DB>;
  clock: () => number;
  publicUrl: URL;
  secureCookies: boolean;
  masterKey: Buffer;
  openSecret: (clientId: string, sealed: string) => string;
  /** The factors (RFC 8176) the Gatehouse session proved. */
  sessionAmr: (tokenHash: string) => Promise<string[]>;
  /** When the Gatehouse session last proved its factors (sign-in or step-up), in ms of `clock`. */
  sessionProvedAt: (session: { tokenHash: string; reauthenticatedAt: number | null }) => Promise<number>;
  /** Applications restricted to groups, and the account's groups (the `groups` claim). */
  access: ClientAccess;
}

/** Keys oidc-provider signs its cookies with: the same on every instance, from the master key. */
function cookieKey(master: Buffer): string {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'gatehouse oidc-cookies v1', 32)).toString('base64url');
}

const sameSet = (a: readonly string[] | undefined, b: readonly string[]) => (a ?? []).length === b.length && b.every((v) => (a ?? []).includes(v));

/**
 * The login prompt also fires when the provider's own session no longer matches Gatehouse's: the
 * person signed out of Gatehouse, another person signed in, the session proved other factors since,
 * or this application needs a second factor the session has not proved. Gatehouse's session is the
 * only source of truth; the provider's session only remembers what was granted.
 */
function gatehouseSessionCheck(deps: ProviderDeps) {
  return new interactionPolicy.Check('gatehouse_session', 'End-User authentication with Gatehouse is required', async (ctx: KoaContextWithOIDC) => {
    const { session } = handoffOf(ctx.req);
    const oidc = ctx.oidc;
    if (session?.kind !== 'full' || oidc.session?.accountId !== session.user.id) return interactionPolicy.Check.REQUEST_PROMPT;
    const amr = await deps.sessionAmr(session.tokenHash);
    if (!sameSet(oidc.session.amr, amr)) return interactionPolicy.Check.REQUEST_PROMPT;
    if (needsSecondFactor(oidc.client, oidc.params?.acr_values) && !amr.includes('mfa')) return interactionPolicy.Check.REQUEST_PROMPT;
    return interactionPolicy.Check.NO_NEED_TO_PROMPT;
  });
}

/**
 * An application restricted to groups refuses an account outside them with access_denied at its
 * redirect address (the application shows its own refusal; no code is issued). A check of the login
 * prompt runs on every authorization: when the provider resumes after the interaction's sign-in
 * (interactions.service.ts finishes it with the login result), and when the provider's own session
 * would hand out a code with no interaction at all (someone removed from the group after signing
 * in, or prompt=none). It judges only once the provider's session is the Gatehouse session's
 * person: anyone else signs in first, and is judged then.
 */
function groupRestrictionCheck(deps: ProviderDeps) {
  return new interactionPolicy.Check('gatehouse_groups', 'The account is not in a group this application is open to', async (ctx: KoaContextWithOIDC) => {
    const { session, address } = handoffOf(ctx.req);
    const oidc = ctx.oidc;
    if (session?.kind !== 'full' || oidc.session?.accountId !== session.user.id || !oidc.client) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    const user = { id: session.user.id, email: session.user.email };
    if (await deps.access.allows(oidc.client.clientId, user, address, 'authorization')) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    throw new errors.AccessDenied(NOT_IN_GROUP);
  });
}

/**
 * prompt=login and max_age (OIDC Core §3.1.2.1) ask for a new proof of the person, not only a
 * live session: the interaction then asks for the password again (and the second factor), and the
 * ID token's auth_time is that proof's time. The check runs before the interaction exists and its
 * details record when the request came (Gatehouse's clock): only a proof after that satisfies it,
 * never the cookie alone. On the resume with Gatehouse's login result it stands aside (the
 * interaction already required the proof).
 */
function reauthenticationCheck(deps: ProviderDeps) {
  return new interactionPolicy.Check(
    REAUTHENTICATE_REASON,
    'End-User re-authentication is required',
    async (ctx: KoaContextWithOIDC) => {
      const oidc = ctx.oidc;
      const { session } = handoffOf(ctx.req);
      if (oidc.result?.login || session?.kind !== 'full') return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      const promptLogin = oidc.prompts.has('login');
      const maxAge = oidc.params?.max_age;
      if (!promptLogin && maxAge === undefined) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      return needsReauthentication({ promptLogin, maxAge, provedAt: await deps.sessionProvedAt(session), now: deps.clock() });
    },
    () => ({ [REAUTHENTICATE_SINCE]: deps.clock() }),
  );
}

const hasScope = (scope: unknown, name: string) => typeof scope === 'string' && scope.split(' ').includes(name);

export function buildProvider(deps: ProviderDeps, keys: PrivateJwk[]): Provider {
  const issuer = issuerOf(deps.publicUrl);
  const basePath = new URL(issuer).pathname.replace(/\/$/, '');
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(gatehouseSessionCheck(deps));
  policy.get('login')!.checks.add(reauthenticationCheck(deps));
  policy.get('login')!.checks.add(groupRestrictionCheck(deps));

  const configuration: Configuration = {
    adapter: createAdapterClass({ db: deps.db, clock: deps.clock, openSecret: deps.openSecret }),
    jwks: { keys: keys as never },
    cookies: {
      keys: [cookieKey(deps.masterKey)],
      names: { session: 'gatehouse_oidc', interaction: 'gatehouse_oidc_interaction', resume: 'gatehouse_oidc_resume' },
      long: { signed: true, secure: deps.secureCookies, sameSite: 'lax', httpOnly: true },
      short: { signed: true, secure: deps.secureCookies, sameSite: 'lax', httpOnly: true },
    },
    routes: {
      authorization: `${OIDC_PREFIX}/auth`,
      token: `${OIDC_PREFIX}/token`,
      jwks: `${OIDC_PREFIX}/jwks`,
      userinfo: `${OIDC_PREFIX}/me`,
      end_session: `${OIDC_PREFIX}/session/end`,
      revocation: `${OIDC_PREFIX}/token/revocation`,
      introspection: `${OIDC_PREFIX}/token/introspection`,
      pushed_authorization_request: `${OIDC_PREFIX}/request`,
      code_verification: `${OIDC_PREFIX}/device`,
      device_authorization: `${OIDC_PREFIX}/device/auth`,
      backchannel_authentication: `${OIDC_PREFIX}/backchannel`,
      registration: `${OIDC_PREFIX}/reg`,
      challenge: `${OIDC_PREFIX}/challenge`,
    },
    scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
    // acr, amr and auth_time ride with the openid scope, so every ID token says how the person signed in.
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
    acrValues: [ACR_PASSWORD, ACR_MFA],
    // The authorization code flow only (OAuth 2.0 Security BCP: no implicit, no tokens in the front channel).
    responseTypes: ['code'],
    // ID tokens carry the email and amr even in the code flow (docs/api.md), not only through userinfo.
    conformIdTokenClaims: false,
    extraClientMetadata: { properties: ['gatehouse_require_2fa', 'gatehouse_trusted', 'gatehouse_pkce_optional'] },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      // Client metadata backchannel_logout_uri / _session_required and their discovery entries; the
      // logout tokens themselves go through Gatehouse's outbox (backchannel-worker.ts), for every
      // way a Gatehouse session ends, not only this provider's end_session.
      backchannelLogout: { enabled: true },
      // RFC 7662 for an application's own server (a resource server checking the access tokens it
      // is sent): confidential applications only, about their own tokens, and never active for an
      // account that is blocked or gone (its grants are revoked then too, but this does not rely on it).
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => {
          if (client.clientAuthMethod === 'none') throw new errors.InvalidClient('public applications may not introspect tokens');
          if (token.clientId !== client.clientId) return false;
          const accountId = (token as { accountId?: string }).accountId;
          if (!accountId) return true;
          const user = await findUserById(deps.db, accountId);
          return user !== undefined && !user.blocked;
        },
      },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource: logoutPage, postLogoutSuccessSource: logoutDonePage },
    },
    // Every refresh answers a new refresh token and spends the old one; a spent one presented again
    // revokes the whole grant (OAuth 2.0 Security BCP §4.14.2: the replay may be a thief's).
    rotateRefreshToken: true,
    // PKCE for every application (RFC 9700 §2.1.1, OAuth 2.1), but a confidential one an
    // administrator marked legacy (`--legacy-no-pkce`; what the upgrade to 0019 did for existing ones).
    pkce: { required: (_ctx, client) => client.gatehouse_pkce_optional !== true },
    // A browser application (public client) may call the token and userinfo endpoints from its own origin.
    clientBasedCORS: (_ctx, origin, client) => (client.redirectUris ?? []).some((uri) => new URL(uri).origin === origin),
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: ID_TOKEN_TTL_SECONDS,
      RefreshToken: 14 * 86400,
      Interaction: 3600,
      Session: 14 * 86400,
      Grant: 14 * 86400,
    },
    // With a token (a code or refresh token redeemed, an access token at userinfo), the account must
    // still be allowed to use its application: someone removed from an application's groups gets
    // no new tokens and no userinfo (invalid_grant, invalid_token), not only no new sign-in.
    findAccount: async (ctx, sub, token) => {
      const user = await findUserById(deps.db, sub);
      if (!user || user.blocked) return undefined;
      const clientId = (token as { clientId?: string } | undefined)?.clientId ?? ctx.oidc?.client?.clientId;
      if (token && clientId) {
        const at = ctx.oidc?.route === 'userinfo' ? 'userinfo' : 'token';
        if (!(await deps.access.allows(clientId, { id: user.id, email: user.email }, handoffOf(ctx.req).address, at))) return undefined;
      }
      return {
        accountId: user.id,
        // Accounts are made by an administrator who vouches for the address; nobody registers themselves.
        // The groups are read when a token is issued or userinfo is asked: they are the account's now.
        claims: async (_use, scope) => ({
          sub: user.id,
          email: user.email,
          email_verified: true,
          // The display name the owner or an administrator set; the email while there is none
          // (applications show `name` as who is signed in). Given and family names only where known.
          name: user.display_name ?? user.email,
          ...(user.given_name ? { given_name: user.given_name } : {}),
          ...(user.family_name ? { family_name: user.family_name } : {}),
          preferred_username: user.email,
          ...(hasScope(scope, 'groups') ? { groups: await deps.access.groupsOf(user.id) } : {}),
        }),
      };
    },
    interactions: {
      policy,
      url: (_ctx, interaction) => `${basePath}/interaction/${interaction.uid}`,
    },
    loadExistingGrant: async (ctx) => {
      const { oidc } = ctx;
      const client = oidc.client!;
      const accountId = oidc.session!.accountId;
      const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(client.clientId);
      let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
      if (grant && grant.accountId !== accountId) grant = undefined;
      // A trusted application (first party) is granted what it asks for without a consent page,
      // but for offline_access: a refresh token outlives the session, so it goes through the
      // consent prompt (no page for a trusted application), where a session that did not just
      // sign in is asked for a step-up (interactions.service.ts).
      if (client.gatehouse_trusted === true && accountId) {
        const asked = String(oidc.params?.scope ?? 'openid')
          .split(' ')
          .filter(Boolean);
        const lasting = asked.includes('offline_access') && !grant?.getOIDCScope().split(' ').includes('offline_access');
        if (!lasting) {
          grant ??= new oidc.provider.Grant({ accountId, clientId: client.clientId });
          grant.addOIDCScope(asked.join(' '));
          await grant.save();
        }
      }
      return grant;
    },
    renderError: errorPage,
  };
  const provider = new Provider(issuer, configuration);
  // end_session would POST logout tokens itself, once and without retries: the outbox sends them
  // (the Gatehouse session that end_session ends makes its rows due), so this one stays silent.
  Object.defineProperty(provider.Client.prototype, 'backchannelLogout', { value: async () => undefined });
  // Every address the provider writes comes from the public URL: the Fastify route sets the
  // forwarded host and protocol from it (overwriting whatever the client sent).
  provider.proxy = true;
  return provider;
}
