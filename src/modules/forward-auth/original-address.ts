// Where the user was going, as a trusted reverse proxy tells it, and the sign-in address that
// brings them back there. Pure functions: the route passes the headers and the trust decision.
//
// Proxies say it in one of two ways: nginx (and anyone told to) in X-Original-URL, an absolute
// address; Traefik and Caddy in X-Forwarded-Proto, -Host and -Uri. Either is believed only from a
// GATEHOUSE_TRUST_PROXY address, since anyone else could send them. A header given twice is not
// believed: the two values cannot be told apart once joined (a comma is legal in a URI).
import net from 'node:net';

/** Every value a header was sent with, from Node's rawHeaders (name, value, name, value…). */
export function headerValues(rawHeaders: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === name) values.push(rawHeaders[i + 1]!);
  }
  return values;
}

/** The sign-in page hands `rd` to /api/redirect-target, which takes up to this many characters. */
export const MAX_ADDRESS_LENGTH = 4096;

/**
 * Whether a socket address is one of the proxies in GATEHOUSE_TRUST_PROXY (addresses or CIDR
 * ranges; an IPv4 entry also matches its IPv4-mapped IPv6 form, as Fastify's trustProxy does).
 */
export function trustedProxyCheck(entries: readonly string[]): (address: string | undefined) => boolean {
  const list = new net.BlockList();
  for (const entry of entries) {
    const [ip = '', bits] = entry.split('/');
    const family = net.isIPv6(ip) ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(ip, family);
    else list.addSubnet(ip, Number(bits), family);
  }
  // Every forward-auth check asks, nearly always for the same few proxy addresses; BlockList.check
  // builds a SocketAddress each time (3 % of a check's CPU in a profile). The answers are kept, a
  // bounded number of them, and forgotten all at once when full (the list itself never changes).
  const answers = new Map<string, boolean>();
  return (address) => {
    if (address === undefined) return false;
    const known = answers.get(address);
    if (known !== undefined) return known;
    const trusted = net.isIP(address) !== 0 && list.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4');
    if (answers.size >= TRUST_ANSWERS_KEPT) answers.clear();
    answers.set(address, trusted);
    return trusted;
  };
}

/** How many socket addresses' trust answers are kept (proxies are a handful; clients may be many). */
const TRUST_ANSWERS_KEPT = 1024;

/** The one value of a header sent exactly once; undefined when absent or repeated. */
export function singleHeader(rawHeaders: readonly string[], name: string): string | undefined {
  const values = headerValues(rawHeaders, name);
  return values.length === 1 ? values[0] : undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Node reads header bytes as latin1, but a proxy forwards the request target's bytes as the
 * client sent them: UTF-8 when they are not percent-encoded. Valid UTF-8 is read as such (so
 * `rd` carries the same characters); any other byte above 0x7f is percent-encoded, which a web
 * server reads as the same byte.
 */
function fromHeaderBytes(value: string): string {
  const bytes = Buffer.from(value, 'latin1');
  if (bytes.every((b) => b < 0x80)) return value;
  try {
    return utf8.decode(bytes);
  } catch {
    return value.replace(/[\u0080-\u00ff]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  }
}

/** The address exactly as given (no normalisation), when it is an absolute http(s) address. */
function absoluteAddress(raw: string): string | null {
  const address = fromHeaderBytes(raw);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what an address may not carry
  if (address.length > MAX_ADDRESS_LENGTH || /[\u0000-\u001f\u007f]/.test(address)) return null;
  // Literally scheme://host: the URL parser would forgive `https:///x` or `https:\\x`, a proxy never sends them.
  if (!/^https?:\/\/[^/\\?#]/i.test(address)) return null;
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return null;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.host === '') return null;
  return address;
}

/** The address the user asked the proxy for, or null when the headers do not say it (well). */
export function originalAddress(rawHeaders: readonly string[]): string | null {
  if (headerValues(rawHeaders, 'x-original-url').length > 0) {
    const original = singleHeader(rawHeaders, 'x-original-url');
    return original === undefined ? null : absoluteAddress(original);
  }
  const proto = singleHeader(rawHeaders, 'x-forwarded-proto')?.toLowerCase();
  const host = singleHeader(rawHeaders, 'x-forwarded-host');
  const uri = singleHeader(rawHeaders, 'x-forwarded-uri');
  if ((proto !== 'http' && proto !== 'https') || host === undefined || uri === undefined) return null;
  // Host and port only: nothing that could end the authority and move the rest elsewhere.
  if (!/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(host)) return null;
  if (!uri.startsWith('/')) return null;
  return absoluteAddress(`${proto}://${host}${uri}`);
}

/** Whether the caller takes HTML (a browser navigating), from its Accept header; `q=0` refuses. */
export function acceptsHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return accept.split(',').some((part) => {
    const [type = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    if (type !== 'text/html') return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * The sign-in page with the address in `rd`: `new URL(location).searchParams.get('rd')` gives it
 * back unchanged (encodeURIComponent leaves only unreserved characters and %XX, which
 * URLSearchParams decodes exactly; a `+` is sent as %2B, so it does not come back as a space).
 */
export function signInLocation(publicUrl: URL, address: string): string {
  return `${new URL('/sign-in', publicUrl).href}?rd=${encodeURIComponent(address)}`;
}

/**
 * A redirect after a GET (or HEAD) is a 302; after any other method a 303, so the browser fetches
 * the sign-in page rather than re-sending a form to it.
 */
export function redirectStatus(forwardedMethod: string | undefined): 302 | 303 {
  const method = (forwardedMethod ?? 'GET').toUpperCase();
  return method === 'GET' || method === 'HEAD' ? 302 : 303;
}
