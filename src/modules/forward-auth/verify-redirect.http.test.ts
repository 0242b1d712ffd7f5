// GET /api/verify for a browser without a session: the 302 to sign-in with the address in rd, only
// for a browser (Accept text/html) behind a trusted proxy; the query validated like every route's;
// identity headers that carry any email. On both databases.
//
// The app runs on the suite's TestClock, and the test client judges cookies by that clock.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { Client, enrolTwoFactor, seedUser } from '../../test-support/harness.js';

const PUBLIC_URL = 'https://login.example.com';
const PROXY = '10.1.2.3';
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8';
const SESSION_COOKIE = '__Host-gatehouse_session';

/** The addresses the round trip must keep: `&` and `=` in values, %2F, %C3%A9, raw non-ASCII, `+`. */
const ADDRESSES = [
  'https://app.example.com/reports/today?x=1&y=2&q=caf%C3%A9',
  'https://app.example.com:8443/a%2Fb/c?next=%2Fx%3Fy%3D1%26z%3D2&plus=a+b&empty=&flag',
  'https://app.example.com/café/日本?q=ü&e=😀',
];

/** What nginx forwards when a client sent UTF-8 bytes unencoded: Node reads header bytes as latin1. */
const asHeaderBytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

describeOnEachDialect('forward auth redirect to sign-in', (suite) => {
  const t = suite.app({ env: { GATEHOUSE_PUBLIC_URL: PUBLIC_URL, GATEHOUSE_TRUST_PROXY: `${PROXY},::1/128`, GATEHOUSE_ACCESS_DEFAULT: 'allow' } });

  const verify = (url: string, headers: Record<string, string | string[]>, options: { from?: string; cookie?: string } = {}) =>
    t.app.inject({
      method: 'GET',
      url,
      remoteAddress: options.from ?? PROXY,
      headers: { ...headers, ...(options.cookie ? { cookie: `${SESSION_COOKIE}=${options.cookie}` } : {}) },
    });
  const rdOf = (location: unknown) => new URL(String(location)).searchParams.get('rd');

  before(async () => {
    await seedUser(t.s, 'plain@example.com');
    await seedUser(t.s, 'jösé.ünicode@例子.example');
    await seedUser(t.s, 'two-step@example.com');
    await seedUser(t.s, 'per%41cent@example.com');
  });

  it('sends a browser behind a trusted proxy to sign-in, with X-Original-URL in rd byte for byte', async () => {
    for (const address of ADDRESSES) {
      const r = await verify('/api/verify', { accept: BROWSER_ACCEPT, 'x-original-url': asHeaderBytes(address) });
      assert.equal(r.statusCode, 302, address);
      const location = new URL(String(r.headers.location));
      assert.equal(`${location.origin}${location.pathname}`, `${PUBLIC_URL}/sign-in`);
      assert.deepEqual([...location.searchParams.keys()], ['rd']);
      assert.equal(rdOf(r.headers.location), address);
      assert.equal(r.headers['cache-control'], 'no-store');
    }
  });

  it('puts the address together from X-Forwarded-Proto, -Host and -Uri (Traefik, Caddy)', async () => {
    const r = await verify('/api/verify', {
      accept: BROWSER_ACCEPT,
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.example.com:8443',
      'x-forwarded-uri': '/a%2Fb/c?next=%2Fx%3Fy%3D1%26z%3D2&plus=a+b&q=caf%C3%A9',
      'x-forwarded-method': 'GET',
    });
    assert.equal(r.statusCode, 302);
    assert.equal(rdOf(r.headers.location), 'https://app.example.com:8443/a%2Fb/c?next=%2Fx%3Fy%3D1%26z%3D2&plus=a+b&q=caf%C3%A9');
    const post = await verify('/api/verify', {
      accept: BROWSER_ACCEPT,
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'app.example.com',
      'x-forwarded-uri': '/form',
      'x-forwarded-method': 'POST',
    });
    assert.equal(post.statusCode, 303, 'a form post: the browser then GETs the sign-in page');
    assert.equal(rdOf(post.headers.location), 'http://app.example.com/form');
  });

  it('prefers X-Original-URL over X-Forwarded-*', async () => {
    const r = await verify('/api/verify', {
      accept: BROWSER_ACCEPT,
      'x-original-url': 'https://a.example.com/from-original',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'b.example.com',
      'x-forwarded-uri': '/from-forwarded',
    });
    assert.equal(rdOf(r.headers.location), 'https://a.example.com/from-original');
  });

  it('answers 401 to anyone else: an untrusted source, a call that does not take HTML, no usable address', async () => {
    const headers = { accept: BROWSER_ACCEPT, 'x-original-url': ADDRESSES[0]! };
    for (const from of ['203.0.113.7', '10.1.2.4', '::2']) {
      const r = await verify('/api/verify', headers, { from });
      assert.equal(r.statusCode, 401, from);
      assert.equal(r.json().error, 'unauthenticated');
      assert.equal(r.headers.location, undefined);
    }
    assert.equal((await verify('/api/verify', headers, { from: '::1' })).statusCode, 302, 'an IPv6 entry is trusted too');
    for (const accept of ['application/json', '*/*', 'text/html;q=0']) {
      assert.equal((await verify('/api/verify', { ...headers, accept })).statusCode, 401, accept);
    }
    assert.equal((await verify('/api/verify', { 'x-original-url': ADDRESSES[0]! })).statusCode, 401, 'no Accept');
    assert.equal((await verify('/api/verify', { accept: BROWSER_ACCEPT })).statusCode, 401, 'no address');
    assert.equal((await verify('/api/verify', { accept: BROWSER_ACCEPT, 'x-original-url': 'javascript:alert(1)' })).statusCode, 401);
    assert.equal(
      (await verify('/api/verify', { accept: BROWSER_ACCEPT, 'x-original-url': [ADDRESSES[0]!, 'https://evil.example/'] })).statusCode,
      401,
      'said twice',
    );
  });

  it('lets a full session through as before, and sends a pending sign-in to sign-in', async () => {
    const full = new Client(t.app, SESSION_COOKIE);
    await full.signIn('plain@example.com');
    const browser = { accept: BROWSER_ACCEPT, 'x-original-url': ADDRESSES[0]! };
    const ok = await verify('/api/verify', browser, { cookie: full.cookie! });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.headers['x-gatehouse-email'], 'plain@example.com');
    const denied = await verify('/api/verify?role=admin', browser, { cookie: full.cookie! });
    assert.equal(denied.statusCode, 403, 'signed in but not allowed: no sign-in page');

    const pending = new Client(t.app, SESSION_COOKIE);
    await pending.signIn('two-step@example.com');
    await enrolTwoFactor(pending);
    await pending.delete('/api/session');
    assert.equal((await pending.signIn('two-step@example.com')).body.status, 'second_factor_required');
    const r = await verify('/api/verify', browser, { cookie: pending.cookie! });
    assert.equal(r.statusCode, 302);
    assert.equal((await verify('/api/verify', { accept: 'application/json' }, { cookie: pending.cookie! })).statusCode, 401);
  });

  it('validates the query: unknown, repeated and bracketed parameters are 400, signed in or not', async () => {
    const signedIn = new Client(t.app, SESSION_COOKIE);
    await signedIn.signIn('plain@example.com');
    for (const query of [
      'role[]=admin',
      'role=admin&role=admin',
      '2fa=required&2fa=required',
      'x=1',
      'rd=https://app.example.com/',
      'role=owner',
      '2fa=yes',
      'role=admin&x=1',
    ]) {
      for (const cookie of [undefined, signedIn.cookie!]) {
        const r = await verify(`/api/verify?${query}`, { accept: BROWSER_ACCEPT, 'x-original-url': ADDRESSES[0]! }, { cookie });
        assert.equal(r.statusCode, 400, `${query} ${cookie ? 'signed in' : 'anonymous'}`);
        assert.equal(r.json().error, 'invalid_request');
      }
    }
    assert.equal((await verify('/api/verify?role=admin', {}, { cookie: signedIn.cookie! })).statusCode, 403);
    assert.equal((await verify('/api/verify?2fa=required', {}, { cookie: signedIn.cookie! })).statusCode, 403);
    assert.equal((await verify('/api/verify', {}, { cookie: signedIn.cookie! })).statusCode, 200);
  });

  it('carries any email in the identity headers: ASCII as it is, the rest (and %) percent-encoded', async () => {
    const percent = new Client(t.app, SESSION_COOKIE);
    await percent.signIn('per%41cent@example.com');
    const p = await verify('/api/verify', {}, { cookie: percent.cookie! });
    assert.equal(p.statusCode, 200);
    assert.equal(p.headers['x-gatehouse-email'], 'per%2541cent@example.com');
    assert.equal(decodeURIComponent(String(p.headers['x-gatehouse-email'])), 'per%41cent@example.com');

    const unicode = new Client(t.app, SESSION_COOKIE);
    assert.equal((await unicode.signIn('jösé.ünicode@例子.example')).body.status, 'authenticated');
    const stored = (await unicode.get('/api/session')).body.user.email as string;
    const u = await verify('/api/verify', {}, { cookie: unicode.cookie! });
    assert.equal(u.statusCode, 200, 'no ERR_INVALID_CHAR');
    const header = String(u.headers['x-gatehouse-email']);
    assert.match(header, /^[\x20-\x7e]+$/);
    assert.equal(decodeURIComponent(header), stored);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is all of ASCII, to find what is not
    assert.ok(/[^\x00-\x7f]/.test(stored), `the stored email is still non-ASCII: ${stored}`);
  });
});
