// Pure rules for how long a session lives. Idle timeout and absolute lifetime come from config;
// a pending sign-in (password right, code still owed) lives 5 minutes (docs/api.md).
export const PENDING_SIGN_IN_SECONDS = 5 * 60;
/** Refresh last_seen_at at most this often: a session check should rarely write. */
export const TOUCH_INTERVAL_MS = 60_000;

export interface SessionTimes {
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  kind: 'full' | 'pending' | 'restricted';
}

export function isSessionAlive(session: SessionTimes, now: number, idleSeconds: number): boolean {
  if (now >= session.expires_at) return false;
  if (session.kind === 'pending') return true; // its 5-minute expiry is absolute
  return now - session.last_seen_at < idleSeconds * 1000;
}

export function expiryFor(kind: SessionTimes['kind'], now: number, maxSeconds: number): number {
  return now + (kind === 'pending' ? PENDING_SIGN_IN_SECONDS : maxSeconds) * 1000;
}

export function needsTouch(session: SessionTimes, now: number): boolean {
  return now - session.last_seen_at >= TOUCH_INTERVAL_MS;
}

/** Step-up (like GitHub's sudo mode): sensitive actions need a re-authentication this recent. */
export const STEP_UP_WINDOW_MS = 10 * 60_000;

/** Pure: is the session's last step-up recent enough? Signing in never sets it. */
export function isSteppedUp(reauthenticatedAt: number | null, now: number): boolean {
  return reauthenticatedAt !== null && now >= reauthenticatedAt && now - reauthenticatedAt < STEP_UP_WINDOW_MS;
}

/** How much of the User-Agent a session keeps (enough to name the browser and system). */
export const USER_AGENT_MAX_LENGTH = 512;
