// The guarded application of the forward-auth tests: an echo server that records every request it
// receives (so a test can say what reached it), shows who it was told is there, and keeps a cookie
// of its own, which must reach it untouched through the proxy.
import http from 'node:http';

export interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
}

/** Listens on a free loopback port; every request is pushed onto `recorded`. */
export async function startGuardedApp(recorded: Seen[]): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    recorded.push({ method: request.method!, url: request.url!, rawHeaders: [...request.rawHeaders] });
    const email = decodeURIComponent(String(request.headers['x-gatehouse-email'] ?? 'nobody'));
    if (!String(request.headers.cookie ?? '').includes('app_pref=')) response.setHeader('set-cookie', 'app_pref=blue; Path=/; SameSite=Lax');
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end(`<!doctype html><title>Guarded</title><h1>Guarded app</h1><p id="who">${email.replace(/[<&]/g, '')}</p>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Every Gatehouse-looking header the application received, in any spelling. */
export const gatehouseHeaders = (request: Seen) =>
  request.rawHeaders.flatMap((value, i) => (i % 2 === 0 && /gatehouse/i.test(value) ? [[value, request.rawHeaders[i + 1]!] as const] : []));
export const cookieHeader = (request: Seen) =>
  request.rawHeaders.flatMap((value, i) => (i % 2 === 0 && value.toLowerCase() === 'cookie' ? [request.rawHeaders[i + 1]!] : [])).join('; ');
/** How many Cookie headers the application received (an empty one counts: it should get none). */
export const cookieHeaderCount = (request: Seen) => request.rawHeaders.filter((value, i) => i % 2 === 0 && value.toLowerCase() === 'cookie').length;
export const cookiePairs = (header: string) =>
  header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.includes('='))
    .map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)] as const);
