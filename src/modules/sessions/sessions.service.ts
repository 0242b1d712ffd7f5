// Issuing and resolving sessions. A new random token for every sign-in (and for every step of
// one), so a token seen before authentication is worthless after it.
import type { Services } from '../../services.js';
import { generateSessionToken, hashSessionToken } from '../../crypto/tokens.js';
import * as repo from './sessions.repository.js';
import { expiryFor, isSessionAlive, needsTouch } from './session-policy.js';
import type { UserRow } from '../users/users.repository.js';

export interface ResolvedSession {
  tokenHash: string;
  kind: repo.SessionKind;
  user: UserRow;
  twoFactorEnabled: boolean;
  expiresAt: number;
}

export class SessionsService {
  constructor(private readonly s: Services) {}

  /** withVerifyToken: also a verify-only token (forward auth's cookie), independent of the session token. */
  async issue(
    userId: string,
    kind: repo.SessionKind,
    address: string | null,
    options: { withVerifyToken?: boolean } = {},
  ): Promise<{ token: string; verifyToken: string | null; expiresAt: number }> {
    const token = generateSessionToken();
    const verifyToken = options.withVerifyToken ? generateSessionToken() : null;
    const now = this.s.clock();
    const expiresAt = expiryFor(kind, now, this.s.config.sessionMaxSeconds);
    await repo.insertSession(this.s.db, {
      token_hash: hashSessionToken(token),
      user_id: userId,
      kind,
      created_at: now,
      last_seen_at: now,
      expires_at: expiresAt,
      address,
      verify_token_hash: verifyToken === null ? null : hashSessionToken(verifyToken),
    });
    return { token, verifyToken, expiresAt };
  }

  /** The live session behind a cookie token, or null. Writes only to refresh idle time (≤ once a minute). */
  resolve(token: string): Promise<ResolvedSession | null> {
    return this.resolveHash(hashSessionToken(token));
  }

  /** The live session a verify-only cookie belongs to (only GET /api/verify asks), or null. */
  async resolveVerifyToken(verifyToken: string): Promise<ResolvedSession | null> {
    const tokenHash = await repo.findTokenHashByVerifyHash(this.s.db, hashSessionToken(verifyToken));
    return tokenHash === undefined ? null : this.resolveHash(tokenHash);
  }

  private async resolveHash(tokenHash: string): Promise<ResolvedSession | null> {
    const found = await repo.findSessionWithUser(this.s.db, tokenHash);
    if (!found) return null;
    const now = this.s.clock();
    if (!isSessionAlive(found.session, now, this.s.config.sessionIdleSeconds) || found.user.blocked) {
      await repo.deleteSession(this.s.db, tokenHash);
      return null;
    }
    if (found.session.kind !== 'pending' && needsTouch(found.session, now)) await repo.touchSession(this.s.db, tokenHash, now);
    return { tokenHash, kind: found.session.kind, user: found.user, twoFactorEnabled: found.twoFactorEnabled, expiresAt: found.session.expires_at };
  }

  end(tokenHash: string): Promise<boolean> {
    return repo.deleteSession(this.s.db, tokenHash);
  }

  endAllFor(userId: string, exceptTokenHash?: string): Promise<void> {
    return repo.deleteUserSessions(this.s.db, userId, exceptTokenHash);
  }
}
