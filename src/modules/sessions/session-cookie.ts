// The session cookie: HttpOnly, SameSite=Lax, path /. Under https it is Secure and, unless a
// cookie domain is configured for sibling sub-domains, `__Host-` prefixed (the browser then
// refuses it from any other host or path, and without Secure).
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface CookieSettings {
  secureCookies: boolean;
  cookieDomain: string | null;
}

export function sessionCookieName(settings: CookieSettings): string {
  return settings.secureCookies && !settings.cookieDomain ? '__Host-gatehouse_session' : 'gatehouse_session';
}

function cookieOptions(settings: CookieSettings) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: settings.secureCookies,
    path: '/',
    ...(settings.cookieDomain ? { domain: settings.cookieDomain } : {}),
  };
}

export function setSessionCookie(reply: FastifyReply, settings: CookieSettings, token: string, expiresAt: number): void {
  void reply.setCookie(sessionCookieName(settings), token, { ...cookieOptions(settings), expires: new Date(expiresAt) });
}

export function clearSessionCookie(reply: FastifyReply, settings: CookieSettings): void {
  void reply.clearCookie(sessionCookieName(settings), cookieOptions(settings));
}

export function readSessionToken(request: FastifyRequest, settings: CookieSettings): string | null {
  const token = request.cookies[sessionCookieName(settings)];
  // Tokens are 43 base64url characters; anything else is not worth a database read.
  return token && /^[A-Za-z0-9_-]{43}$/.test(token) ? token : null;
}
