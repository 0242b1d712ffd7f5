// The session cookie: HttpOnly, SameSite=Lax, path /, host-only. Under https it is Secure and
// `__Host-` prefixed (the browser then refuses it from any other host or path, and without
// Secure). It never carries a Domain, even with GATEHOUSE_COOKIE_DOMAIN: sibling hosts get the
// verify-only cookie instead, which opens nothing but GET /api/verify.
//
// The verify-only cookie: with a cookie domain the browser must show something to the proxies of
// sibling hosts (app.example.com), but whatever goes there can be read by those applications. So
// that is not the session cookie but a second random token of the same session that
// GET /api/verify alone accepts: replayed against any other route it is nobody. Under https it is
// `__Secure-` prefixed; `__Host-` is impossible with a Domain.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clearCookie, readCookie, setCookie } from '../../http/cookies.js';
import { wellFormedToken } from '../../crypto/tokens.js';

export interface CookieSettings {
  secureCookies: boolean;
  cookieDomain: string | null;
}

export function sessionCookieName(settings: CookieSettings): string {
  return settings.secureCookies ? '__Host-gatehouse_session' : 'gatehouse_session';
}

function cookieOptions(settings: CookieSettings) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: settings.secureCookies,
    path: '/',
  };
}

export function setSessionCookie(reply: FastifyReply, settings: CookieSettings, token: string, expiresAt: number): void {
  setCookie(reply, sessionCookieName(settings), token, { ...cookieOptions(settings), expires: new Date(expiresAt) });
}

export function clearSessionCookie(reply: FastifyReply, settings: CookieSettings): void {
  clearCookie(reply, sessionCookieName(settings), cookieOptions(settings));
  if (settings.cookieDomain !== null) clearCookie(reply, verifyCookieName(settings), { ...cookieOptions(settings), domain: settings.cookieDomain });
}

export function readSessionToken(request: FastifyRequest, settings: CookieSettings): string | null {
  return wellFormedToken(readCookie(request, sessionCookieName(settings)));
}

export function verifyCookieName(settings: CookieSettings): string {
  return settings.secureCookies ? '__Secure-gatehouse_verify' : 'gatehouse_verify';
}

export function setVerifyCookie(reply: FastifyReply, settings: CookieSettings, token: string, expiresAt: number): void {
  if (settings.cookieDomain === null) return;
  setCookie(reply, verifyCookieName(settings), token, { ...cookieOptions(settings), domain: settings.cookieDomain, expires: new Date(expiresAt) });
}

export function readVerifyToken(request: FastifyRequest, settings: CookieSettings): string | null {
  if (settings.cookieDomain === null) return null;
  // The same shape as a session token.
  return wellFormedToken(readCookie(request, verifyCookieName(settings)));
}
