// The verify-only cookie. With GATEHOUSE_COOKIE_DOMAIN the browser must show something to the
// proxies of sibling hosts (app.example.com), but whatever goes there can be read by those
// applications. So that is not the session cookie (which stays host-only on Gatehouse's own host)
// but a second random token of the same session that GET /api/verify alone accepts: replayed
// against any other route it is nobody. Under https it is `__Secure-` prefixed (the browser then
// takes it only with Secure, from a secure origin); `__Host-` is impossible with a Domain.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';

export function verifyCookieName(config: Config): string {
  return config.secureCookies ? '__Secure-gatehouse_verify' : 'gatehouse_verify';
}

function cookieOptions(config: Config, domain: string) {
  return { httpOnly: true, sameSite: 'lax' as const, secure: config.secureCookies, path: '/', domain };
}

export function setVerifyCookie(reply: FastifyReply, config: Config, token: string, expiresAt: number): void {
  if (config.cookieDomain === null) return;
  void reply.setCookie(verifyCookieName(config), token, { ...cookieOptions(config, config.cookieDomain), expires: new Date(expiresAt) });
}

export function clearVerifyCookie(reply: FastifyReply, config: Config): void {
  if (config.cookieDomain === null) return;
  void reply.clearCookie(verifyCookieName(config), cookieOptions(config, config.cookieDomain));
}

export function readVerifyToken(request: FastifyRequest, config: Config): string | null {
  if (config.cookieDomain === null) return null;
  const token = request.cookies[verifyCookieName(config)];
  // The same shape as a session token: 43 base64url characters, or not worth a database read.
  return token && /^[A-Za-z0-9_-]{43}$/.test(token) ? token : null;
}
