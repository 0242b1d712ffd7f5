// Session tokens: 256 random bits in the cookie, only their SHA-256 in the database,
// so a read of the sessions table gives nobody a usable cookie.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

export function generateSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Runs on every guarded request: the one-shot crypto.hash is about twice as fast as createHash here. */
/**
 * The value if it has a token's shape (43 base64url characters, as generateSessionToken makes),
 * else null: a cookie of any other shape is not worth a database read.
 */
export function wellFormedToken(value: string | undefined): string | null {
  return value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : null;
}

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
