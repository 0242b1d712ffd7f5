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
import type { NewSession, ResolvedSession, SessionsService, StartedSession } from './sessions.service.js';

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

/** Starts a session for this request's browser and sets its cookies: the HTTP side of SessionsService.start. */
export async function startSession(reply: FastifyReply, sessions: SessionsService, input: Omit<NewSession, 'userAgent'>): Promise<void> {
  const userAgent = reply.request.headers['user-agent'];
  writeSessionCookies(reply, sessions, await sessions.start({ ...input, userAgent: typeof userAgent === 'string' ? userAgent : null }));
}

/** Puts a started session's tokens in the browser's cookies. */
export function writeSessionCookies(reply: FastifyReply, sessions: SessionsService, started: StartedSession): void {
  setSessionCookie(reply, sessions.cookies, started.token, started.expiresAt);
  if (started.verifyToken !== null) setVerifyCookie(reply, sessions.cookies, started.verifyToken, started.expiresAt);
}

/** Removes the session's cookies (and the verify-only one) from the browser. */
export function clearSessionCookies(reply: FastifyReply, sessions: SessionsService): void {
  clearSessionCookie(reply, sessions.cookies);
}

/** The live session behind the request's session cookie, or null. */
export function sessionOf(request: FastifyRequest, sessions: SessionsService): Promise<ResolvedSession | null> {
  const token = readSessionToken(request, sessions.cookies);
  return token ? sessions.resolve(token) : Promise.resolve(null);
}

/** The live session behind the request's verify-only cookie, or null (only GET /api/verify asks). */
export function verifySessionOf(request: FastifyRequest, sessions: SessionsService): Promise<ResolvedSession | null> {
  const token = readVerifyToken(request, sessions.cookies);
  return token === null ? Promise.resolve(null) : sessions.resolveVerifyToken(token);
}
