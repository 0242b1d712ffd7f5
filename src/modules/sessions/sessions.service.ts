// Issuing, resolving and ending sessions, and the cookie that carries them. A new random token
// for every sign-in (and for every step of one), so a token seen before authentication is
// worthless after it.
import type { Kysely } from 'kysely';
import { randomBytes } from 'node:crypto';
import type { DB } from '../../db/schema.js';
import { generateSessionToken, hashSessionToken } from '../../crypto/tokens.js';
import type { RowReader } from '../../db/database.js';
import type { SignInWarning } from '../../shared/api-types.js';
import type { SettingsService } from '../settings/index.js';
import { isRestrictedNow } from '../../core/two-factor-requirement.js';
import { AMR_TWO_FACTOR } from '../../core/amr.js';
import { strengthOf, type Strength } from '../../core/session-strength.js';
import * as repo from './sessions.repository.js';
import type { CookieSettings } from './session-cookie.js';
import { STEP_UP_WINDOW_MS, USER_AGENT_MAX_LENGTH, expiryFor, isSessionAlive, isSteppedUp, needsTouch } from './session-policy.js';

export interface ResolvedSession {
  tokenHash: string;
  /** pending, or full / restricted as decided now from the account and the policy (not from sign-in). */
  kind: repo.SessionKind;
  user: repo.SessionUser;
  twoFactorEnabled: boolean;
  expiresAt: number;
  /** The public id (devices list). */
  id: string;
  reauthenticatedAt: number | null;
  /** How strongly the session signed in (or stepped up to since): what forward auth's rules compare with. */
  strength: Strength;
  /** The first step was a sign-in at another provider (amr `fed`): a second step then reports no `pwd`. */
  federated: boolean;
  /** What happened to the account since the previous sign-in, until the owner acknowledges it. */
  signInWarning: SignInWarning | null;
}

export interface NewSession {
  userId: string;
  kind: repo.SessionKind;
  address: string | null;
  amr?: readonly string[];
  /** The browser's User-Agent header, for the devices list. */
  userAgent?: string | null;
}

/** The tokens of a new session, for its cookies. */
export interface StartedSession {
  token: string;
  /** The verify-only token, with a cookie domain. */
  verifyToken: string | null;
  expiresAt: number;
}

/**
 * Ends an account's sessions (all but `except`) and whatever was issued on them that outlives a
 * session (OpenID Connect grants and refresh tokens): one port, built in services.ts, that every
 * "end the sessions" action goes through, in the caller's transaction when it has one.
 */
export type EndAccountAccess = (db: Kysely<DB>, userId: string, except?: string) => Promise<void>;

export interface SessionSettings extends CookieSettings {
  sessionIdleSeconds: number;
  sessionMaxSeconds: number;
}

export class SessionsService {
  private readonly db: Kysely<DB>;
  private readonly settings: SessionSettings;
  private readonly clock: () => number;
  private readonly readRow: RowReader;
  private readonly authSettings: Pick<SettingsService, 'get' | 'fresh'>;
  private readonly endAccountAccess: EndAccountAccess;

  constructor(deps: {
    db: Kysely<DB>;
    readRow: RowReader;
    settings: SessionSettings;
    clock: () => number;
    authSettings: Pick<SettingsService, 'get' | 'fresh'>;
    endAccountAccess?: EndAccountAccess;
  }) {
    this.endAccountAccess = deps.endAccountAccess ?? ((db, userId, except) => repo.deleteUserSessions(db, userId, except));
    this.db = deps.db;
    this.readRow = deps.readRow;
    this.settings = deps.settings;
    this.clock = deps.clock;
    this.authSettings = deps.authSettings;
  }

  /** Cookie names and flags, for the HTTP edge (session-cookie.ts) that reads and writes them. */
  get cookies(): CookieSettings {
    return this.settings;
  }

  /**
   * A new session (a new random token, every time) with the factors it was proven with (amr, for
   * OpenID Connect). With a cookie domain, also a verify-only token of the same session (forward
   * auth's cookie for sibling hosts). The caller puts the tokens in cookies (session-cookie.ts).
   */
  async start(input: NewSession): Promise<StartedSession> {
    const token = generateSessionToken();
    const verifyToken = this.settings.cookieDomain !== null ? generateSessionToken() : null;
    const now = this.clock();
    const expiresAt = expiryFor(input.kind, now, this.settings.sessionMaxSeconds);
    await repo.insertSession(this.db, {
      token_hash: hashSessionToken(token),
      user_id: input.userId,
      kind: input.kind,
      created_at: now,
      last_seen_at: now,
      expires_at: expiresAt,
      address: input.address,
      verify_token_hash: verifyToken === null ? null : hashSessionToken(verifyToken),
      amr: input.amr ? JSON.stringify(input.amr) : null,
      public_id: randomBytes(16).toString('base64url'),
      user_agent: input.userAgent ? input.userAgent.slice(0, USER_AGENT_MAX_LENGTH) : null,
      reauthenticated_at: null,
    });
    return { token, verifyToken, expiresAt };
  }

  /** The session proved more factors (enrolment in 2FA confirmed with a code from the app). */
  recordFactors(tokenHash: string, amr: readonly string[]): Promise<void> {
    return repo.updateSessionAmr(this.db, tokenHash, JSON.stringify(amr));
  }

  /** The live session behind a verify-only token (only GET /api/verify asks), or null. */
  async resolveVerifyToken(verifyToken: string): Promise<ResolvedSession | null> {
    const tokenHash = await repo.findTokenHashByVerifyHash(this.db, hashSessionToken(verifyToken));
    return tokenHash === undefined ? null : this.resolveHash(tokenHash);
  }

  /** The live session behind a cookie token, or null. Writes only to refresh idle time (≤ once a minute). */
  resolve(token: string): Promise<ResolvedSession | null> {
    return this.resolveHash(hashSessionToken(token));
  }

  private async resolveHash(tokenHash: string): Promise<ResolvedSession | null> {
    const found = await repo.findSessionWithUser(this.db, this.readRow, tokenHash);
    if (!found) return null;
    const now = this.clock();
    if (!isSessionAlive(found.session, now, this.settings.sessionIdleSeconds) || found.user.blocked) {
      await repo.deleteSession(this.db, tokenHash);
      return null;
    }
    let kind = found.session.kind;
    if (kind !== 'pending') {
      if (needsTouch(found.session, now)) await repo.touchSession(this.db, tokenHash, now);
      // Decided now, from the row just read and the cached settings: no extra query.
      const { require2fa, require2faGraceDays } = this.authSettings.fresh() ?? (await this.authSettings.get());
      const standing = {
        require2fa,
        require2faGraceDays,
        role: found.user.role,
        twoFactorEnabled: found.twoFactorEnabled,
        twoFactorRequiredSince: found.user.two_factor_required_since,
        accountRequired: found.user.two_factor_required === 1,
      };
      kind = isRestrictedNow(standing, now) ? 'restricted' : 'full';
    }
    return {
      tokenHash,
      kind,
      user: found.user,
      twoFactorEnabled: found.twoFactorEnabled,
      expiresAt: found.session.expires_at,
      id: found.session.public_id,
      reauthenticatedAt: found.session.reauthenticated_at,
      strength: strengthOf(found.session.amr),
      federated: found.session.amr?.includes('"fed"') ?? false,
      signInWarning: found.signInWarning === null ? null : (JSON.parse(found.signInWarning) as SignInWarning),
    };
  }

  /** Whether a session created at `createdAt` signed in within the step-up window: a sign-in that recent counts as one. */
  isFresh(createdAt: number): boolean {
    return isSteppedUp(createdAt, this.clock());
  }

  /** Step-up: has this session re-authenticated within the window? */
  isSteppedUp(session: ResolvedSession): boolean {
    return isSteppedUp(session.reauthenticatedAt, this.clock());
  }

  /** Opens the step-up window for this session only, noting the second factor it was made with (null: none). */
  markReauthenticated(session: ResolvedSession, factor: repo.StepUpFactor): Promise<void> {
    // A password-only session (a trusted browser skips the code) that steps up with a code has now
    // proven two factors: forward auth's `two_factors` rules let it in from here on.
    const amr = factor !== null && session.strength === 'password' ? JSON.stringify(AMR_TWO_FACTOR) : undefined;
    return repo.markReauthenticated(this.db, session.tokenHash, this.clock(), factor, amr);
  }

  /**
   * Whether this session's step-up, still within its window, was made with a code from the app;
   * answering yes spends that proof, so one app code stands for one action (backup-code
   * replacement), not for every one in the window.
   */
  takeAppCodeStepUp(session: ResolvedSession): Promise<boolean> {
    const now = this.clock();
    if (!isSteppedUp(session.reauthenticatedAt, now)) return Promise.resolve(false);
    return repo.takeStepUpFactor(this.db, session.tokenHash, 'totp', now - STEP_UP_WINDOW_MS + 1);
  }

  /** The account's signed-in sessions that are still alive, most recently active first. */
  async listFor(userId: string): Promise<repo.SessionRow[]> {
    const now = this.clock();
    const rows = await repo.listUserSessions(this.db, userId, now);
    return rows.filter((row) => isSessionAlive(row, now, this.settings.sessionIdleSeconds));
  }

  /** Ends one of the account's sessions by its public id; answers whether there was one. */
  endByPublicId(userId: string, publicId: string): Promise<boolean> {
    return repo.deleteUserSessionByPublicId(this.db, userId, publicId);
  }

  /** Ends one session; answers whether it existed (a pending sign-in is consumed exactly once). */
  end(tokenHash: string): Promise<boolean> {
    return repo.deleteSession(this.db, tokenHash);
  }

  /** Ends the account's sessions but `exceptTokenHash`, and its OpenID Connect grants (EndAccountAccess). */
  endAllFor(userId: string, exceptTokenHash?: string): Promise<void> {
    return this.db.transaction().execute((trx) => this.endAccountAccess(trx, userId, exceptTokenHash));
  }

  deleteExpired(): Promise<void> {
    return repo.deleteExpiredSessions(this.db, this.clock());
  }
}
