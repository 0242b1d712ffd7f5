// A browser stand-in over real HTTP for protocol tests that need no page rendering: it keeps
// every cookie with its path (oidc-provider scopes its resume cookie to one address), follows
// redirects one at a time so a test can stop at the application's callback, and ignores the port
// in the cookie's host as browsers do.
export interface BrowserAnswer {
  status: number;
  location: string | null;
  body: any;
  url: string;
}

interface StoredCookie {
  value: string;
  path: string;
}

export class CookieBrowser {
  private readonly jar = new Map<string, StoredCookie>();

  private cookieHeader(url: URL): string {
    return [...this.jar.entries()]
      .filter(([, c]) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/')
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
  }

  private keep(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const path = attributes.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const expires = attributes.find((a) => a.toLowerCase().startsWith('expires='))?.slice(8);
      const gone = value === '' || (expires !== undefined && new Date(expires).getTime() < Date.now());
      const key = `${name}`;
      if (gone) this.jar.delete(key);
      else this.jar.set(key, { value, path });
    }
  }

  cookie(name: string): string | undefined {
    return this.jar.get(name)?.value;
  }

  async request(method: string, href: string, body?: unknown, form?: Record<string, string>): Promise<BrowserAnswer> {
    const url = new URL(href);
    const headers: Record<string, string> = {};
    const cookie = this.cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    let payload: string | undefined;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      payload = new URLSearchParams(form).toString();
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const response = await fetch(url, { method, headers, body: payload, redirect: 'manual' });
    this.keep(response);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // HTML or empty
    }
    const location = response.headers.get('location');
    return { status: response.status, location: location ? new URL(location, url).href : null, body: parsed, url: url.href };
  }

  get = (href: string) => this.request('GET', href);
  post = (href: string, body: unknown = {}) => this.request('POST', href, body);

  /** Follows redirects until one leaves `origin` prefixes (the application's callback) or a page answers. */
  async follow(href: string, stopAt: (url: string) => boolean): Promise<BrowserAnswer> {
    let answer = await this.get(href);
    for (let hops = 0; answer.location && hops < 10; hops++) {
      if (stopAt(answer.location)) return answer;
      answer = await this.get(answer.location);
    }
    return answer;
  }
}
