// Cookies without a plugin: one cookie read by name from the Cookie header, and Set-Cookie
// written with the `cookie` package. (@fastify/cookie parsed every request's cookies in a global
// hook and ran an onSend hook on every answer; a session check wants one cookie, most answers
// set none.)
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseCookie, type SerializeOptions, stringifySetCookie } from 'cookie';

export type CookieOptions = Omit<SerializeOptions, 'encode'>;

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  // Most requests without a session carry no cookie at all; a header without the name cannot hold it.
  if (header === undefined || !header.includes(name)) return undefined;
  return parseCookie(header)[name];
}

export function setCookie(reply: FastifyReply, name: string, value: string, options: CookieOptions): void {
  void reply.header('set-cookie', stringifySetCookie({ name, value, sameSite: 'lax', ...options }));
}

/** Tells the browser to drop a cookie (same name, path and domain it was set with). */
export function clearCookie(reply: FastifyReply, name: string, options: CookieOptions): void {
  setCookie(reply, name, '', { path: '/', ...options, expires: new Date(0), maxAge: 0 });
}
