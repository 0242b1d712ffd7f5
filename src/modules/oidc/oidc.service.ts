// The running OpenID Connect provider: built from the stored signing keys, rebuilt when another
// instance (or the CLI) rotated them, with Gatehouse's audit log and sign-out wired around it.
// Its state lives in the database, so a rebuilt provider (or another instance) carries on where
// this one left off.
import type { Kysely } from 'kysely';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { DB } from '../../db/schema.js';
import type { RecordAudit } from '../audit/index.js';
import type { GroupsService } from '../access/index.js';
import type { SessionsService } from '../sessions/index.js';
import { type CookieSettings, sessionCookieName } from '../sessions/index.js';
import { randomUUID } from 'node:crypto';
import { deleteExpiredPayloads, findSessionFactors } from './oidc.repository.js';
import { type BackchannelRow, deleteFailedLogouts, linkSession, moveLinks } from './backchannel.repository.js';
import { BackchannelWorker, type LogoutDelivery } from './backchannel-worker.js';
import { handoffOf } from './handoff.js';
import type { ProviderDeps } from './provider.config.js';
import { ClientAccess } from './client-access.js';
import { loadSigningKeys, rotateSigningKeys, signingKeysVersion } from './signing-keys.js';

/** How often an instance looks for keys rotated elsewhere (one indexed read). */
const KEY_CHECK_MS = 5000;

export interface OidcDeps {
  db: Kysely<DB>;
  clock: () => number;
  publicUrl: URL;
  cookies: CookieSettings;
  masterKey: Buffer;
  secretBox: Buffer;
  openSecret: (clientId: string, sealed: string) => string;
  sessions: SessionsService;
  audit: RecordAudit;
  /** Groups: the `groups` claim, and applications restricted to groups. */
  groups: Pick<GroupsService, 'mayUseClient' | 'namesOf'>;
  /** Where the provider's unexpected errors go (the app's logger). */
  logError?: (error: unknown, message: string) => void;
  /** How often the back-channel logout worker looks for ended sessions (default 1 s). */
  backchannelPollMs?: number;
  /** Sessions idle longer than this have ended (back-channel logouts are sent for them). */
  sessionIdleSeconds: number;
}

/** OIDC Back-Channel Logout 1.0 §2.4: the event a logout token carries. */
const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** Given-up logouts are kept a week for an administrator to look at, then pruned. */
const FAILED_LOGOUT_KEEP_MS = 7 * 86400_000;

export class OidcService {
  private provider: Provider | null = null;
  private version = '';
  private checkedAt = -Infinity;
  private pending: Promise<Provider> | null = null;

  /** Who may use an application restricted to groups (asked at authorization, token and userinfo). */
  private readonly access: ClientAccess;

  /** This instance's back-channel logout sender (started and stopped with the app, oidc.module.ts). */
  readonly backchannel: BackchannelWorker;

  constructor(private readonly deps: OidcDeps) {
    this.access = new ClientAccess({ groups: deps.groups, audit: deps.audit, clock: deps.clock });
    this.backchannel = new BackchannelWorker({
      db: deps.db,
      clock: deps.clock,
      pollMs: deps.backchannelPollMs,
      sessionIdleMs: deps.sessionIdleSeconds * 1000,
      prepare: (row) => this.logoutFor(row),
    });
  }

  /** The signed logout token (§2.4: iss, aud, iat, exp, jti, sub, sid, events; never a nonce) for one row. */
  private async logoutFor(row: BackchannelRow): Promise<LogoutDelivery> {
    const provider = await this.current();
    const client = await provider.Client.find(row.client_id);
    if (!client?.backchannelLogoutUri) return null;
    const token = new provider.IdToken({ sub: row.account_id }, { client, ctx: undefined } as never);
    // IdToken keeps only the claims a scope allows; a logout token's sub is not a scope's.
    (token as unknown as { mask: Record<string, null> }).mask = { sub: null };
    token.set('events', { [BACKCHANNEL_LOGOUT_EVENT]: {} });
    token.set('jti', row.id);
    token.set('sid', row.sid);
    return { uri: client.backchannelLogoutUri, logoutToken: await token.issue({ use: 'logout' }) };
  }

  /** A session replaced by a new one of the same person (inside an authorization): its applications' logouts follow it. */
  sessionReplaced(fromHash: string, toHash: string): Promise<void> {
    return moveLinks(this.deps.db, fromHash, toHash);
  }

  /** The factors (RFC 8176) a Gatehouse session proved, and when it was signed in. */
  sessionFactors(tokenHash: string): Promise<{ amr: string[]; createdAt: number }> {
    return findSessionFactors(this.deps.db, tokenHash);
  }

  /** The provider, rebuilt when the signing keys changed (checked at most every few seconds). */
  current(): Promise<Provider> {
    if (this.provider && this.deps.clock() - this.checkedAt < KEY_CHECK_MS) return Promise.resolve(this.provider);
    this.pending ??= this.refresh().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async refresh(): Promise<Provider> {
    const { db, clock } = this.deps;
    const version = await signingKeysVersion(db);
    this.checkedAt = clock();
    if (this.provider && version === this.version) return this.provider;
    const keys = await loadSigningKeys(db, this.deps.secretBox, clock());
    const providerDeps: ProviderDeps = {
      db,
      clock,
      publicUrl: this.deps.publicUrl,
      secureCookies: this.deps.cookies.secureCookies,
      masterKey: this.deps.masterKey,
      openSecret: this.deps.openSecret,
      sessionAmr: async (tokenHash) => (await this.sessionFactors(tokenHash)).amr,
      sessionProvedAt: async (session) => Math.max((await this.sessionFactors(session.tokenHash)).createdAt, session.reauthenticatedAt ?? 0),
      access: this.access,
    };
    // Loaded on first use: only the server (and the tests) run a provider.
    const { buildProvider } = await import('./provider.config.js');
    const provider = buildProvider(providerDeps, keys);
    this.wire(provider);
    // The version read before loading: a rotation in between is simply picked up next time.
    this.version = version === '' ? await signingKeysVersion(db) : version;
    this.provider = provider;
    return provider;
  }

  /** Housekeeping: expired codes, tokens, grants and interactions (never answered anyway). */
  async prune(): Promise<void> {
    await deleteExpiredPayloads(this.deps.db, this.deps.clock());
    await deleteFailedLogouts(this.deps.db, this.deps.clock() - FAILED_LOGOUT_KEEP_MS);
  }

  /** A new signing key for every instance (within KEY_CHECK_MS); the old one stays published a while. */
  rotateKeys(): Promise<string> {
    return rotateSigningKeys(this.deps.db, this.deps.secretBox, this.deps.clock());
  }

  /** Audit events and the Gatehouse sign-out, around every provider request. */
  private wire(provider: Provider): void {
    provider.on('server_error', (_ctx: unknown, error: unknown) => this.deps.logError?.(error, 'OpenID Connect provider error'));
    provider.use(async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
      await next();
      await this.afterRequest(ctx);
    });
  }

  private async afterRequest(ctx: KoaContextWithOIDC): Promise<void> {
    const oidc = ctx.oidc;
    if (!oidc) return;
    const { session, address } = handoffOf(ctx.req);
    const clientId = oidc.client?.clientId;
    if ((oidc.route === 'authorization' || oidc.route === 'resume') && oidc.entities.AuthorizationCode) {
      const code = oidc.entities.AuthorizationCode;
      const subject = session && session.user.id === code.accountId ? { id: session.user.id, email: session.user.email } : null;
      await this.deps.audit({ kind: 'oidc.authorized', actor: subject, subject, address, details: { clientId, scope: code.scope, amr: code.amr ?? [] } });
      // An application that asked for back-channel logouts hears when this Gatehouse session ends.
      if (session && subject && clientId && oidc.client?.backchannelLogoutUri && oidc.session) {
        const sid = oidc.session.sidFor(clientId);
        if (sid)
          await linkSession(this.deps.db, { id: randomUUID(), sessionHash: session.tokenHash, clientId, accountId: subject.id, sid, now: this.deps.clock() });
      }
    }
    if (oidc.route === 'token' && ctx.status >= 400) {
      const body = ctx.body as { error?: string } | undefined;
      await this.deps.audit({
        kind: 'oidc.token_refused',
        address,
        details: { clientId: clientId ?? null, grantType: oidc.params?.grant_type ?? null, error: body?.error ?? null },
      });
    }
    // RP-initiated logout that the person confirmed ends their Gatehouse session too.
    if (oidc.route === 'end_session_confirm' && oidc.params?.logout && session) {
      await this.deps.sessions.end(session.tokenHash);
      const secure = this.deps.cookies.secureCookies ? '; Secure' : '';
      const domain = this.deps.cookies.cookieDomain ? `; Domain=${this.deps.cookies.cookieDomain}` : '';
      ctx.append(
        'set-cookie',
        `${sessionCookieName(this.deps.cookies)}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax${secure}${domain}`,
      );
      const ref = { id: session.user.id, email: session.user.email };
      await this.deps.audit({ kind: 'oidc.signed_out', actor: ref, subject: ref, address, details: { clientId: clientId ?? null } });
    }
  }
}
