// The device cookie (the HTTP side of trusted devices): read once per request, written after a
// full sign-in. Host-only always (never the session's shared cookie domain); `__Host-` under https.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readCookie, setCookie } from '../../http/cookies.js';
import { wellFormedToken } from '../../crypto/tokens.js';
import type { DeviceCookieSettings, RecognisedBrowser, TrustedDevicesService } from './trusted-devices.service.js';

export function deviceCookieName(settings: DeviceCookieSettings): string {
  return settings.secureCookies ? '__Host-gatehouse_device' : 'gatehouse_device';
}

const read = new WeakMap<FastifyRequest, string | null>();

/** The device token the request carries, if well formed (43 base64url characters); parsed once per request. */
export function deviceTokenOf(request: FastifyRequest, devices: TrustedDevicesService): string | null {
  let token = read.get(request);
  if (token === undefined) {
    token = wellFormedToken(readCookie(request, deviceCookieName(devices.cookies)));
    read.set(request, token);
  }
  return token;
}

/** After a full sign-in: keeps the browser trusted for the account, setting a new device cookie when it was not. */
export async function rememberBrowser(request: FastifyRequest, reply: FastifyReply, devices: TrustedDevicesService, browser: RecognisedBrowser): Promise<void> {
  const userAgent = request.headers['user-agent'];
  const issued = await devices.remember(browser, { userAgent: typeof userAgent === 'string' ? userAgent : null, address: request.ip });
  if (issued === null) return;
  setCookie(reply, deviceCookieName(devices.cookies), issued.token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: devices.cookies.secureCookies,
    path: '/',
    expires: new Date(issued.expiresAt),
  });
}
