// Session tokens: 256 random bits in the cookie, only their SHA-256 in the database,
// so a read of the sessions table gives nobody a usable cookie.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

export function generateSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Runs on every guarded request: the one-shot crypto.hash is about twice as fast as createHash here. */
export function hashSessionToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/** Equal-length comparison that does not stop at the first differing byte. */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const left = typeof a === 'string' ? Buffer.from(a) : a;
  const right = typeof b === 'string' ? Buffer.from(b) : b;
  if (left.length !== right.length) return false;
  return timingSafeEqual(left, right);
}
