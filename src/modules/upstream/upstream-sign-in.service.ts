// Signing in with another provider (issue 34): the redirect there (code flow, PKCE S256, state,
// nonce), the callback (openid-client validates the code exchange and the ID token: signature,
// issuer, audience, nonce, times by the injected clock), and what the identity earns:
// - a link (provider, subject) → that account: its sign-in, with Gatehouse's second step when the
//   account has 2FA, unless the provider is trusted for MFA and its ID token says so (amr mfa, or an
//   acr in MFA_ACR_VALUES);
// - no link, a VERIFIED email of an existing account: never signed in to it. A link ticket waits
//   (10 minutes, bound to this browser by an HttpOnly cookie) until the person proves that account
//   with its password (and its second factor when it has 2FA): else anyone who controls an email at
//   some provider would take over the Gatehouse account of that email;
// - no account: one is created only where registration is open to the email (its domains,
//   approval), with an unusable password mark.
// GitHub (kind github) has no ID token: its identity is the user API's (github.ts), the primary
// email and whether GitHub verified it. A provider trusted for MFA must also have done it lately:
// Gatehouse asks for max_age and checks auth_time, or Gatehouse's own second step is asked.
// An unverified email never links and never creates. Every refusal is an UpstreamErrorCode for
// `/sign-in?upstream_error=…`, audited as upstream.refused with the reason (never a token), and
// creates nothing.
import type { Kysely } from 'kysely';
import * as client from 'openid-client';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../http/errors.js';
import { decryptSecret, encryptSecret } from '../../crypto/secret-box.js';
import { generateSessionToken, hashSessionToken } from '../../crypto/tokens.js';
import type { RecordAudit } from '../audit/index.js';
import type { UpstreamErrorCode } from '../../shared/api-types.js';
import type { GroupsService } from '../access/index.js';
import type { DirectoryService } from '../directory/index.js';
import type { Notify } from '../mail/index.js';
import type { RegistrationService } from '../onboarding/index.js';
import { findUserById, findUserForSignIn, isUniqueViolation, nameFromDirectory, normalizeEmail, type SignInCandidate, type UserRow } from '../users/index.js';
import * as repo from './upstream.repository.js';
import { CONTROL, flowAad, groupMapOf, UPSTREAM_PASSWORD_MARK, type UpstreamService } from './upstream.service.js';
import { githubAuthorizationUrl, githubIdentity } from './github.js';
import type { UpstreamIdentity } from './identity.js';

/** How long the person may take at the provider, and to prove a matching account. */
export const FLOW_MINUTES = 10;
const FLOW_MS = FLOW_MINUTES * 60_000;
/** `acr` values that mean several factors (besides an `amr` with mfa): the common ones. */
export const MFA_ACR_VALUES: readonly string[] = ['mfa', 'http://schemas.openid.net/pape/policies/2007/06/multi-factor'];
/**
 * How recent a trusted provider's sign-in must be to stand for Gatehouse's second step: sent as
 * max_age, and auth_time checked (a minute's leeway for the two clocks). An older one, or none
 * said, gets Gatehouse's second step.
 */
export const MFA_MAX_AGE_SECONDS = 600;
const CLOCK_LEEWAY_SECONDS = 60;
/** Entra ID's issuers: it sends no email_verified, but `xms_edov` (the email's domain is verified by the tenant) when asked. */
const ENTRA_ISSUER = /^https:\/\/login\.microsoftonline\.com\/[0-9a-f-]{36}\/v2\.0$/;
/** A token that did not validate drops the provider's discovery (its keys may have rotated) at most this often. */
const FORGET_AT_MOST_EVERY_MS = 60_000;

export class UpstreamRefusal extends Error {
  constructor(readonly code: UpstreamErrorCode) {
    super(code);
  }
}

/** What the callback earned (the route turns it into a session, a cookie and a redirect). */
export type CallbackOutcome =
  | { kind: 'signed_in'; user: SignInCandidate; trustedMfa: boolean; returnTo: string | null }
  | { kind: 'second_factor'; user: SignInCandidate; returnTo: string | null }
  | { kind: 'link'; ticket: string; returnTo: string | null };

export interface UpstreamSignInDeps {
  db: Kysely<DB>;
  providers: UpstreamService;
  registrations: Pick<RegistrationService, 'admitFromProvider'>;
  groups: Pick<GroupsService, 'setMappedGroups'>;
  notify: Notify;
  /** The directory (GATEHOUSE_LDAP_URL), null without one: a directory account's entry is checked at every sign-in here. */
  directory: Pick<DirectoryService, 'stillEnabled'> | null;
  secretBox: Buffer;
  audit: RecordAudit;
  clock: () => number;
  /** The one callback address, for every provider: `<public URL>/api/upstream/callback`. */
  callbackUrl: string;
}

export class UpstreamSignInService {
  constructor(private readonly deps: UpstreamSignInDeps) {}

  /** The provider's authorization URL for a new flow, and the state the browser's cookie binds. */
  async start(providerId: string, returnTo: string | null, address: string | null): Promise<{ url: string; state: string }> {
    const { db, clock, secretBox } = this.deps;
    const provider = await this.deps.providers.find(providerId);
    if (provider?.enabled !== 1) throw new UpstreamRefusal('provider_unavailable');
    const made = await this.deps.providers.configure(provider).catch(async (error: unknown) => {
      await this.refused('provider_unavailable', provider.id, address, error);
      throw new UpstreamRefusal('provider_unavailable');
    });
    const state = client.randomState();
    const nonce = client.randomNonce();
    const verifier = client.randomPKCECodeVerifier();
    const stateHash = hashSessionToken(state);
    const now = clock();
    await repo.insertFlow(db, {
      state_hash: stateHash,
      provider_id: provider.id,
      code_verifier: encryptSecret(secretBox, verifier, flowAad(stateHash)),
      nonce,
      purpose: 'sign_in',
      return_to: returnTo,
      created_at: now,
      expires_at: now + FLOW_MS,
      used_at: null,
    });
    const codeChallenge = await client.calculatePKCECodeChallenge(verifier);
    const url =
      made.kind === 'github'
        ? githubAuthorizationUrl(made.config, { redirectUri: this.deps.callbackUrl, state, codeChallenge })
        : client.buildAuthorizationUrl(made.config, {
            redirect_uri: this.deps.callbackUrl,
            // The groups scope only where a mapping wants it and the provider offers it (some refuse an unknown scope).
            scope: wantsGroupsScope(provider, made.config) ? 'openid email profile groups' : 'openid email profile',
            code_challenge: codeChallenge,
            code_challenge_method: 'S256',
            state,
            nonce,
            // A provider trusted for MFA must prove a recent sign-in (auth_time is then checked).
            ...(provider.trusted_mfa === 1 ? { max_age: String(MFA_MAX_AGE_SECONDS) } : {}),
          });
    return { url: url.href, state };
  }

  /**
   * The provider's answer. `query` is the callback's raw query string; `boundState` the state this
   * browser's cookie holds (a callback another browser started is refused: login CSRF).
   */
  async callback(query: URLSearchParams, boundState: string | null, address: string | null): Promise<CallbackOutcome> {
    const { db, clock } = this.deps;
    const state = query.get('state');
    const flow = state ? await repo.findFlow(db, hashSessionToken(state)) : undefined;
    if (!state || !flow) return this.refuse('invalid_state', null, address);
    // Spent before anything else: a replayed callback never reaches the provider's token endpoint.
    if (!(await repo.spendFlow(db, flow.state_hash, clock()))) return this.refuse('replayed', flow.provider_id, address);
    if (boundState !== state) return this.refuse('invalid_state', flow.provider_id, address);
    if (flow.expires_at <= clock()) return this.refuse('expired', flow.provider_id, address);
    if (query.has('error')) return this.refuse('access_denied', flow.provider_id, address, query.get('error'));
    const provider = await this.deps.providers.find(flow.provider_id);
    if (provider?.enabled !== 1) return this.refuse('provider_unavailable', flow.provider_id, address);
    let identity: UpstreamIdentity;
    try {
      const made = await this.deps.providers.configure(provider);
      const verifier = decryptSecret(this.deps.secretBox, flow.code_verifier, flowAad(flow.state_hash));
      const current = new URL(`${this.deps.callbackUrl}?${query.toString()}`);
      if (made.kind === 'github') identity = await githubIdentity(made.config, made.github!, current, { verifier, state });
      else {
        const tokens = await client.authorizationCodeGrant(made.config, current, {
          pkceCodeVerifier: verifier,
          expectedState: state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        });
        identity = identityFromClaims(tokens.claims()!, ENTRA_ISSUER.test(provider.issuer));
      }
    } catch (error) {
      // Its keys may have rotated: a later sign-in fetches the discovery document again (not at
      // every bad callback: anyone can send one, and each would cost a discovery and a JWKS fetch).
      this.forgetAtMostOncePerMinute(provider.id);
      return this.refuse('invalid_token', provider.id, address, error);
    }
    try {
      return await this.decide(provider, identity, flow.return_to, address);
    } catch (error) {
      // Two first sign-ins of one person at once: the loser finds the link the winner made.
      if (isUniqueViolation(error)) return this.decide(provider, identity, flow.return_to, address);
      throw error;
    }
  }

  private async decide(provider: repo.ProviderRow, identity: UpstreamIdentity, returnTo: string | null, address: string | null): Promise<CallbackOutcome> {
    const { db, clock } = this.deps;
    const { subject, email } = identity;
    const verified = identity.emailVerified && email !== null;
    // What Gatehouse keys a link or an account by must be what the provider said: a control
    // character is no identifier (and a 500 from PostgreSQL), and an address that NFKC folds into
    // another (a full-width letter) would make the provider's look-alike mailbox the owner of the
    // plain one.
    if (subject === '' || subject.length > 255 || CONTROL.test(subject)) return this.refuse('invalid_profile', provider.id, address, 'subject');
    if (email !== null && (email.length > 320 || CONTROL.test(email) || normalizeEmail(email) !== email.trim().toLowerCase()))
      return this.refuse('invalid_profile', provider.id, address, 'email');
    const trustedMfa = provider.trusted_mfa === 1 && saysRecentMfa(identity, clock());
    const link = await repo.findLink(db, provider.id, subject);
    if (link) {
      const row = await findUserById(db, link.user_id);
      const user = row ? await findUserForSignIn(db, row.email) : undefined;
      if (!user) return this.refuse('invalid_state', provider.id, address);
      return this.signIn(provider, identity, user, trustedMfa, returnTo, address);
    }
    if (!verified) return this.refuse('unverified_email', provider.id, address);
    const existing = await findUserForSignIn(db, email);
    if (existing) {
      // Never signed in on the provider's word alone: the person proves this account first.
      const ticket = generateSessionToken();
      const now = clock();
      await repo.insertTicket(db, {
        token_hash: hashSessionToken(ticket),
        provider_id: provider.id,
        subject,
        user_id: existing.id,
        email,
        return_to: returnTo,
        created_at: now,
        expires_at: now + FLOW_MS,
        used_at: null,
        pending_session: null,
      });
      await this.deps.audit({
        kind: 'upstream.link_offered',
        subject: { id: existing.id, email: existing.email },
        address,
        details: { providerId: provider.id },
      });
      return { kind: 'link', ticket, returnTo };
    }
    let created: { user: UserRow; awaitingApproval: boolean };
    try {
      created = await this.deps.registrations.admitFromProvider(
        { email, displayName: nameFromDirectory(identity.name), passwordHash: UPSTREAM_PASSWORD_MARK, source: 'upstream' },
        address,
        async (trx, user) => {
          await repo.insertLink(trx, { provider_id: provider.id, subject, user_id: user.id, email, created_at: clock() });
          // The address's owner hears of it: an account made in their name by a provider's word.
          await this.deps.notify(trx, user.id, { kind: 'upstream_linked', provider: provider.name });
        },
      );
    } catch (error) {
      if (error instanceof AppError && (error.code === 'registration_closed' || error.code === 'registration_domain'))
        return this.refuse(error.code, provider.id, address);
      // An email Gatehouse cannot deliver to (or an address in use under another spelling): a refusal, not a 400 mid-flow.
      if (error instanceof AppError) return this.refuse('invalid_profile', provider.id, address, error.code);
      throw error;
    }
    const ref = { id: created.user.id, email: created.user.email };
    await this.deps.audit({ kind: 'upstream.linked', actor: ref, subject: ref, address, details: { providerId: provider.id, created: true } });
    if (created.awaitingApproval) return this.refuse('awaiting_approval', provider.id, address);
    const user = await findUserForSignIn(db, created.user.email);
    return this.signIn(provider, identity, user!, trustedMfa, returnTo, address);
  }

  /** A linked account signs in: refused like at sign-in when blocked or waiting for approval. */
  private async signIn(
    provider: repo.ProviderRow,
    identity: UpstreamIdentity,
    user: SignInCandidate,
    trustedMfa: boolean,
    returnTo: string | null,
    address: string | null,
  ): Promise<CallbackOutcome> {
    const ref = { id: user.id, email: user.email };
    if (user.blocked) return this.refuse('blocked', provider.id, address, null, ref);
    if (user.awaiting_approval === 1) return this.refuse('awaiting_approval', provider.id, address, null, ref);
    // A directory account is the directory's: disabled or gone there, it is refused here too, at
    // once (not at the next sync); its email and groups follow the entry as at a password sign-in.
    if (user.directory_id) {
      const enabled = this.deps.directory
        ? await this.deps.directory.stillEnabled({ ...ref, directory_id: user.directory_id }).catch(async (error: unknown) => {
            await this.refused('provider_unavailable', provider.id, address, error, ref);
            throw new UpstreamRefusal('provider_unavailable');
          })
        : false;
      if (!enabled) return this.refuse('blocked', provider.id, address, 'directory', ref);
    }
    await this.followGroups(provider, identity, ref);
    const secondStep = user.twoFactorEnabled && !trustedMfa;
    await this.deps.audit({ kind: 'upstream.sign_in', actor: ref, subject: ref, address, details: { providerId: provider.id, trustedMfa, secondStep } });
    // The sign-in itself is recorded (and its warning kept) by the route, through SignInService.
    if (secondStep) return { kind: 'second_factor', user, returnTo };
    return { kind: 'signed_in', user, trustedMfa, returnTo };
  }

  /**
   * The provider's groups claim, through its mapping, sets the account's membership of the mapped
   * local groups at every sign-in there (a value no longer claimed leaves the group). A claim that
   * is absent or not a list of strings changes nothing: a provider that stopped sending it must
   * not empty the groups.
   */
  private async followGroups(provider: repo.ProviderRow, identity: UpstreamIdentity, user: { id: string; email: string }): Promise<void> {
    const map = groupMapOf(provider);
    if (!provider.groups_claim || Object.keys(map).length === 0) return;
    const claimed = identity.claims[provider.groups_claim];
    const values =
      typeof claimed === 'string' ? [claimed] : Array.isArray(claimed) && claimed.every((v) => typeof v === 'string') ? (claimed as string[]) : null;
    if (values === null) return;
    const wanted = values.filter((v) => Object.hasOwn(map, v)).map((v) => map[v]!);
    await this.deps.groups.setMappedGroups(user, Object.values(map), wanted, `upstream:${provider.name}`);
  }

  private readonly forgotten = new Map<string, number>();

  private forgetAtMostOncePerMinute(providerId: string): void {
    const now = this.deps.clock();
    const last = this.forgotten.get(providerId);
    if (last !== undefined && now - last < FORGET_AT_MOST_EVERY_MS && now >= last) return;
    this.forgotten.set(providerId, now);
    this.deps.providers.forget(providerId);
  }

  /** The ticket's identity, while it is good (the link step's password comes next). */
  async ticket(token: string | null): Promise<repo.TicketRow> {
    const row = token ? await repo.findTicket(this.deps.db, hashSessionToken(token)) : undefined;
    if (!row || row.used_at !== null || row.expires_at <= this.deps.clock()) throw new AppError('no_pending_link');
    return row;
  }

  /** The account a ticket would link (its email is what the password step signs in with). */
  async accountOf(ticket: repo.TicketRow): Promise<UserRow> {
    const user = await findUserById(this.deps.db, ticket.user_id);
    if (!user) throw new AppError('no_pending_link');
    return user;
  }

  /** The link step's password was right and a second factor comes next: only this pending session may finish it. */
  async bindTicket(ticket: repo.TicketRow, pendingSessionHash: string): Promise<void> {
    await repo.bindTicketToSession(this.deps.db, ticket.token_hash, pendingSessionHash);
  }

  /**
   * The person proved the account: the ticket is spent and the link made (exactly once), and the
   * owner is mailed. `pendingSessionHash`: the pending session the second factor completed, which
   * must be the one the link step's password made (null: the password alone was enough).
   */
  async completeLink(token: string, userId: string, pendingSessionHash: string | null, address: string | null): Promise<repo.TicketRow> {
    const { db, clock } = this.deps;
    const ticket = await this.ticket(token);
    if (ticket.user_id !== userId || ticket.pending_session !== pendingSessionHash) throw new AppError('no_pending_link');
    const provider = await this.deps.providers.find(ticket.provider_id);
    await db.transaction().execute(async (trx) => {
      if (!(await repo.spendTicket(trx, ticket.token_hash, clock()))) throw new AppError('no_pending_link');
      // A link made meanwhile (another browser) for this subject: this one is moot.
      if (await repo.findLink(trx, ticket.provider_id, ticket.subject)) throw new AppError('no_pending_link');
      await repo.insertLink(trx, { provider_id: ticket.provider_id, subject: ticket.subject, user_id: userId, email: ticket.email, created_at: clock() });
      await this.deps.notify(trx, userId, { kind: 'upstream_linked', provider: provider?.name ?? '' });
    });
    const row = await findUserById(db, userId);
    const ref = { id: userId, email: row?.email ?? ticket.email };
    await this.deps.audit({ kind: 'upstream.linked', actor: ref, subject: ref, address, details: { providerId: ticket.provider_id, created: false } });
    return ticket;
  }

  async prune(): Promise<void> {
    await repo.pruneFlows(this.deps.db, this.deps.clock() - FLOW_MS);
  }

  private async refused(
    reason: UpstreamErrorCode,
    providerId: string | null,
    address: string | null,
    cause?: unknown,
    subject?: { id: string; email: string },
  ) {
    // The cause's name and code only: an error's message may quote what the provider sent.
    const detail =
      cause instanceof Error ? { cause: (cause as { code?: string }).code ?? cause.name } : typeof cause === 'string' ? { cause: cause.slice(0, 64) } : {};
    await this.deps.audit({ kind: 'upstream.refused', subject: subject ?? null, address, details: { reason, providerId, ...detail } });
  }

  private async refuse(
    code: UpstreamErrorCode,
    providerId: string | null,
    address: string | null,
    cause?: unknown,
    subject?: { id: string; email: string },
  ): Promise<never> {
    await this.refused(code, providerId, address, cause, subject);
    throw new UpstreamRefusal(code);
  }
}

/** An OpenID Connect provider's ID token as the identity the decision reads. */
function identityFromClaims(claims: client.IDToken, entra: boolean): UpstreamIdentity {
  return {
    subject: claims.sub,
    email: typeof claims.email === 'string' ? claims.email : null,
    emailVerified: claims.email_verified === true || (entra && claims.xms_edov === true),
    name: typeof claims.name === 'string' ? claims.name : null,
    amr: Array.isArray(claims.amr) ? claims.amr.filter((m): m is string => typeof m === 'string') : [],
    acr: typeof claims.acr === 'string' ? claims.acr : null,
    authTime: typeof claims.auth_time === 'number' ? claims.auth_time : null,
    claims: claims as Record<string, unknown>,
  };
}

/** The upstream said it used several factors (amr mfa, or an MFA acr), at a sign-in within MFA_MAX_AGE_SECONDS. */
function saysRecentMfa(identity: UpstreamIdentity, now: number): boolean {
  const mfa = identity.amr.includes('mfa') || (identity.acr !== null && MFA_ACR_VALUES.includes(identity.acr));
  if (!mfa || identity.authTime === null) return false;
  const age = Math.floor(now / 1000) - identity.authTime;
  return age <= MFA_MAX_AGE_SECONDS + CLOCK_LEEWAY_SECONDS && age >= -CLOCK_LEEWAY_SECONDS;
}

function wantsGroupsScope(provider: repo.ProviderRow, config: client.Configuration): boolean {
  return provider.groups_claim !== null && (config.serverMetadata().scopes_supported ?? []).includes('groups');
}
