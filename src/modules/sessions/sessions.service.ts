// Issuing, resolving and ending sessions, and the cookie that carries them. A new random token
// for every sign-in (and for every step of one), so a token seen before authentication is
// worthless after it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { generateSessionToken, hashSessionToken } from '../../crypto/tokens.js';
import type { UserRow } from '../users/users.repository.js';
import * as repo from './sessions.repository.js';
import { type CookieSettings, clearSessionCookie, readSessionToken, setSessionCookie } from './session-cookie.js';
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

  /** A new session (a new random token, every time) and the cookie that carries it. */
  async start(reply: FastifyReply, input: { userId: string; kind: repo.SessionKind; address: string | null; amr?: readonly string[] }): Promise<void> {
    const token = generateSessionToken();
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
      amr: input.amr ? JSON.stringify(input.amr) : null,
    });
    setSessionCookie(reply, this.settings, token, expiresAt);
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

  /** The live session behind a cookie token, or null. Writes only to refresh idle time (≤ once a minute). */
  async resolve(token: string): Promise<ResolvedSession | null> {
    const tokenHash = hashSessionToken(token);
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
