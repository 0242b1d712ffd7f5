// The session cookie: HttpOnly, SameSite=Lax, path /, host-only. Under https it is Secure and
// `__Host-` prefixed (the browser then refuses it from any other host or path, and without
// Secure). It never carries a Domain, even with GATEHOUSE_COOKIE_DOMAIN: sibling hosts get the
// verify-only cookie instead (modules/forward-auth/verify-cookie.ts), which opens nothing else.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { clearVerifyCookie, setVerifyCookie } from '../modules/forward-auth/verify-cookie.js';
import type { SessionsService } from '../modules/sessions/sessions.service.js';
import type { SessionKind } from '../modules/sessions/sessions.repository.js';

export function sessionCookieName(config: Config): string {
  return config.secureCookies ? '__Host-gatehouse_session' : 'gatehouse_session';
}

function cookieOptions(config: Config) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: config.secureCookies,
    path: '/',
  };
}

export function setSessionCookie(reply: FastifyReply, config: Config, token: string, expiresAt: number): void {
  void reply.setCookie(sessionCookieName(config), token, { ...cookieOptions(config), expires: new Date(expiresAt) });
}

export function clearSessionCookie(reply: FastifyReply, config: Config): void {
  void reply.clearCookie(sessionCookieName(config), cookieOptions(config));
  clearVerifyCookie(reply, config);
}

export function readSessionToken(request: FastifyRequest, config: Config): string | null {
  const token = request.cookies[sessionCookieName(config)];
  // Tokens are 43 base64url characters; anything else is not worth a database read.
  return token && /^[A-Za-z0-9_-]{43}$/.test(token) ? token : null;
}

/** A new session (a new random token, every time) and the cookie that carries it. */
export async function startSession(
  reply: FastifyReply,
  config: Config,
  sessions: SessionsService,
  input: { userId: string; kind: SessionKind; address: string | null },
): Promise<void> {
  const withVerifyToken = config.cookieDomain !== null;
  const { token, verifyToken, expiresAt } = await sessions.issue(input.userId, input.kind, input.address, { withVerifyToken });
  setSessionCookie(reply, config, token, expiresAt);
  if (verifyToken !== null) setVerifyCookie(reply, config, verifyToken, expiresAt);
}
