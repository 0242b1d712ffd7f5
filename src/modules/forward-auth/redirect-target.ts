// Where the sign-in page may send a user back to (`?rd=`): only the platform's own host or a
// host an operator allowed (GATEHOUSE_ALLOWED_REDIRECT_HOSTS, exact or `*.domain`), and only
// over https when the platform itself is https. Anything else is ignored: no open redirect.

/** An allow-list entry matches a URL: `host:port` exactly, `host` on any port, `*.domain` any sub-domain. */
function entryMatches(entry: string, url: URL): boolean {
  if (entry.startsWith('*.')) {
    const suffix = entry.slice(1); // ".example.com"
    return url.hostname.endsWith(suffix) && url.hostname.length > suffix.length;
  }
  return entry.includes(':') ? url.host === entry : url.hostname === entry;
}

export function allowedRedirect(raw: string, publicUrl: URL, allowedHosts: readonly string[]): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (publicUrl.protocol === 'https:' && url.protocol !== 'https:') return null;
  if (url.username || url.password) return null;
  const own = url.host === publicUrl.host;
  if (!own && !allowedHosts.some((entry) => entryMatches(entry, url))) return null;
  return url.toString();
}
