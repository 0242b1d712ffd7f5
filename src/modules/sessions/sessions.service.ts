// Issuing, resolving and ending sessions, and the cookie that carries them. A new random token
// for every sign-in (and for every step of one), so a token seen before authentication is
// worthless after it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { generateSessionToken, hashSessionToken } from '../../crypto/tokens.js';
import type { UserRow } from '../users/users.repository.js';
import * as repo from './sessions.repository.js';
import { type CookieSettings, clearSessionCookie, readSessionToken, readVerifyToken, setSessionCookie, setVerifyCookie } from './session-cookie.js';
import { expiryFor, isSessionAlive, needsTouch } from './session-policy.js';

export interface ResolvedSession {
  tokenHash: string;
  kind: repo.SessionKind;
  user: UserRow;
  twoFactorEnabled: boolean;
  expiresAt: number;
}

/** Authentication methods (RFC 8176) a session proved: a password, or a password and a code (app or backup). */
export const AMR_PASSWORD: readonly string[] = ['pwd'];
export const AMR_TWO_FACTOR: readonly string[] = ['pwd', 'otp', 'mfa'];

export interface SessionSettings extends CookieSettings {
  sessionIdleSeconds: number;
  sessionMaxSeconds: number;
}

export class SessionsService {
  private readonly db: Kysely<DB>;
  private readonly settings: SessionSettings;
  private readonly clock: () => number;

  constructor(deps: { db: Kysely<DB>; settings: SessionSettings; clock: () => number }) {
    this.db = deps.db;
    this.settings = deps.settings;
    this.clock = deps.clock;
  }

  /**
   * A new session (a new random token, every time) and the cookie that carries it, with the factors
   * it was proven with (amr, for OpenID Connect). With a cookie domain, also a verify-only token of
   * the same session (forward auth's cookie for sibling hosts).
   */
  async start(reply: FastifyReply, input: { userId: string; kind: repo.SessionKind; address: string | null; amr?: readonly string[] }): Promise<void> {
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
    });
    setSessionCookie(reply, this.settings, token, expiresAt);
    if (verifyToken !== null) setVerifyCookie(reply, this.settings, verifyToken, expiresAt);
  }

  /** The session proved more factors (enrolment in 2FA confirmed with a code from the app). */
  recordFactors(tokenHash: string, amr: readonly string[]): Promise<void> {
    return repo.updateSessionAmr(this.db, tokenHash, JSON.stringify(amr));
  }

  clearCookie(reply: FastifyReply): void {
    clearSessionCookie(reply, this.settings);
  }

  /** The live session behind the request's cookie, or null. */
  fromRequest(request: FastifyRequest): Promise<ResolvedSession | null> {
    const token = readSessionToken(request, this.settings);
    return token ? this.resolve(token) : Promise.resolve(null);
  }

  /** The live session behind a verify-only cookie (only GET /api/verify asks), or null. */
  async fromVerifyCookie(request: FastifyRequest): Promise<ResolvedSession | null> {
    const verifyToken = readVerifyToken(request, this.settings);
    if (verifyToken === null) return null;
    const tokenHash = await repo.findTokenHashByVerifyHash(this.db, hashSessionToken(verifyToken));
    return tokenHash === undefined ? null : this.resolveHash(tokenHash);
  }

  /** The live session behind a cookie token, or null. Writes only to refresh idle time (≤ once a minute). */
  resolve(token: string): Promise<ResolvedSession | null> {
    return this.resolveHash(hashSessionToken(token));
  }

  private async resolveHash(tokenHash: string): Promise<ResolvedSession | null> {
    const found = await repo.findSessionWithUser(this.db, tokenHash);
    if (!found) return null;
    const now = this.clock();
    if (!isSessionAlive(found.session, now, this.settings.sessionIdleSeconds) || found.user.blocked) {
      await repo.deleteSession(this.db, tokenHash);
      return null;
    }
    if (found.session.kind !== 'pending' && needsTouch(found.session, now)) await repo.touchSession(this.db, tokenHash, now);
    return { tokenHash, kind: found.session.kind, user: found.user, twoFactorEnabled: found.twoFactorEnabled, expiresAt: found.session.expires_at };
  }

  /** Ends one session; answers whether it existed (a pending sign-in is consumed exactly once). */
  end(tokenHash: string): Promise<boolean> {
    return repo.deleteSession(this.db, tokenHash);
  }

  endAllFor(userId: string, exceptTokenHash?: string): Promise<void> {
    return repo.deleteUserSessions(this.db, userId, exceptTokenHash);
  }

  deleteExpired(): Promise<void> {
    return repo.deleteExpiredSessions(this.db, this.clock());
  }
}
