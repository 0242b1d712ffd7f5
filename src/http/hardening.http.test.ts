// Hardening over HTTP: every route refuses sessions that are not full (2FA bypass), every route
// answers garbage with a clean 4xx and changes nothing (property-based fuzzing), and the
// security headers are there. On SQLite and PostgreSQL.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describeOnEachDialect } from '../test-support/dialect-suite.js';
import { type Client, STRONG_PASSWORD, enrolTwoFactor, seedUser, startTestApp, uniqueEmail } from '../test-support/harness.js';

const PLACEHOLDER_ID = '00000000-0000-0000-0000-000000000000';
const fill = (url: string) => url.replace(':id', PLACEHOLDER_ID);

describeOnEachDialect('hardening', (suite) => {
  const { clock } = suite;
  const t = suite.app({ env: { GATEHOUSE_SESSION_IDLE_SECONDS: '600' } });

  it('refuses a pending sign-in, an expired, a signed-out and a forged session on every route that needs a session', async () => {
    const guarded = t.app.routeTable.filter((r) => r.access !== 'public' && r.access !== 'pending');
    assert.ok(guarded.length >= 15, `${guarded.length} guarded routes`);

    const root = uniqueEmail('root');
    await seedUser(t.s, root, 'admin');
    const two = uniqueEmail('two');
    await seedUser(t.s, two, 'admin');
    const enrolling = t.client();
    await enrolling.signIn(two);
    await enrolTwoFactor(enrolling);

    const pending = t.client();
    assert.equal((await pending.signIn(two)).body.status, 'second_factor_required');
    const signedOut = t.client();
    await signedOut.signIn(root);
    const stale = signedOut.cookie;
    await signedOut.delete('/api/session');
    signedOut.cookie = stale;
    const expired = t.client();
    await expired.signIn(root);
    const forged = t.client();
    forged.cookie = 'x'.repeat(43);

    const kinds: Array<[string, Client]> = [
      ['pending', pending],
      ['signed-out', signedOut],
      ['forged', forged],
    ];
    for (const route of guarded) {
      for (const [name, client] of kinds) {
        const r = await client.call(route.method as 'GET', fill(route.url), route.method === 'GET' || route.method === 'DELETE' ? undefined : {});
        assert.equal(r.status, 401, `${name}: ${route.method} ${route.url}`);
        assert.ok(['unauthenticated'].includes(r.body.error), `${name}: ${route.method} ${route.url}: ${r.body.error}`);
      }
    }
    clock.advance(601_000); // past the idle timeout
    assert.ok(expired.cookie, 'the browser still sends it: the cookie outlives the idle timeout');
    for (const route of guarded) {
      const r = await expired.call(route.method as 'GET', fill(route.url), route.method === 'GET' || route.method === 'DELETE' ? undefined : {});
      assert.equal(r.status, 401, `expired: ${route.method} ${route.url}`);
    }
    // The second-factor call is the only one a pending sign-in may make; a full session may not make it.
    const full = t.client();
    await full.signIn(root);
    assert.equal((await full.post('/api/session/second-factor', { code: '123456' })).body.error, 'no_pending_sign_in');
  });

  it('answers random bodies, queries and headers on every route with a clean 4xx, and changes nothing', async () => {
    const root = uniqueEmail('root');
    await seedUser(t.s, root, 'admin');
    const admin = t.client();
    await admin.signIn(root);
    const snapshot = async () => ({
      users: await t.s.db.selectFrom('users').select(['email', 'role', 'blocked', 'password_hash']).orderBy('email').execute(),
      twoFactor: await t.s.db.selectFrom('two_factor').select(['user_id', 'enabled_at', 'secret_ciphertext']).orderBy('user_id').execute(),
      codes: await t.s.db.selectFrom('backup_codes').select(['id', 'used_at']).orderBy('id').execute(),
      settings: await t.s.settings.get(),
    });
    const before = await snapshot();
    const routes = t.app.routeTable.filter((r) => r.url.startsWith('/api/') && r.method !== 'GET' && r.method !== 'DELETE');

    const junk = fc.oneof(
      fc.anything({ maxDepth: 4 }),
      fc.string({ maxLength: 300 }),
      fc.dictionary(
        fc.constantFrom(
          'email',
          'password',
          'code',
          'role',
          'blocked',
          'currentPassword',
          'newPassword',
          'passwordAttempts',
          'require2fa',
          '__proto__',
          'constructor',
        ),
        fc.anything({ maxDepth: 2 }),
      ),
      fc.constant({ email: root, password: 'x'.repeat(5000) }),
      fc.constant({ email: `${root}\u0000`, password: STRONG_PASSWORD }),
      fc.constant(JSON.parse('{"a":'.repeat(200) + '1' + '}'.repeat(200))),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        junk,
        fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1'),
        async (route, body, contentType) => {
          let payload: string;
          try {
            payload = JSON.stringify(body) ?? 'null';
          } catch {
            payload = String(body);
          }
          const response = await t.app.inject({
            method: route.method as 'POST',
            url: fill(route.url),
            payload,
            headers: { 'content-type': contentType, cookie: `gatehouse_session=${admin.cookie}` },
          });
          assert.ok(
            response.statusCode < 500,
            `${route.method} ${route.url} ${contentType} ${payload.slice(0, 200)} → ${response.statusCode} ${response.body.slice(0, 200)}`,
          );
          if (response.statusCode >= 400) {
            const parsed = response.json() as { error: string; message: string };
            assert.equal(typeof parsed.error, 'string');
            assert.equal(typeof parsed.message, 'string');
            assert.ok(!/\bat .+:\d+:\d+/.test(response.body), 'no stack trace');
          }
        },
      ),
      { numRuns: 300, seed: 42 },
    );

    // Invalid UTF-8, a NUL in a JSON string, a body over the limit, a huge query string.
    const raw = [
      Buffer.from([0x7b, 0x22, 0x65, 0x6d, 0x61, 0x69, 0x6c, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      Buffer.from('{"email":"a@b.c","password":"\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000"}'),
      Buffer.from(JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(20_000) })),
    ];
    for (const payload of raw) {
      const r = await t.app.inject({ method: 'POST', url: '/api/session', payload, headers: { 'content-type': 'application/json' } });
      assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${r.statusCode} ${r.body}`);
    }
    const tooLarge = await t.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: Buffer.from(JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(20_000) })),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(tooLarge.statusCode, 413);
    assert.equal(tooLarge.json().error, 'payload_too_large');
    const hugeQuery = await admin.get(`/api/admin/users?q=${'a'.repeat(5000)}`);
    assert.equal(hugeQuery.status, 400);
    for (const query of ['limit=0', 'limit=-1', 'limit=abc', 'limit=1e9', 'cursor=%00', 'extra=1', 'q=%00', 'q=a%01b']) {
      assert.equal((await admin.get(`/api/admin/users?${query}`)).status, 400, query);
    }
    for (const query of ['kind=%00', 'account=x%00', 'cursor=%00']) {
      assert.equal((await admin.get(`/api/admin/audit?${query}`)).status, 400, query);
    }
    assert.equal((await admin.get('/api/redirect-target?rd=https://a%00b/')).status, 400);

    assert.deepEqual(await snapshot(), before, 'nothing changed');
  });

  it('sends the security headers: strict CSP, no framing, nosniff, no referrer', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/' });
    const csp = String(r.headers['content-security-policy']);
    assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'), csp);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['referrer-policy'], 'no-referrer');
    assert.equal(r.headers['strict-transport-security'], undefined, 'no HSTS over plain http');
    const api = await t.app.inject({ method: 'GET', url: '/api/session' });
    assert.equal(api.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'");
    assert.equal(api.headers['x-content-type-options'], 'nosniff');
    assert.equal(api.headers['x-frame-options'], 'DENY');
    assert.equal(api.headers['cache-control'], 'no-store', 'account data is never cached');
  });
});

describe('headers and cookies under https', () => {
  it('adds HSTS and makes the session cookie Secure and __Host- prefixed', async () => {
    const t = await startTestApp({ url: 'sqlite::memory:', env: { GATEHOUSE_PUBLIC_URL: 'https://login.example.com' } });
    try {
      await seedUser(t.s, 'https@example.com');
      const r = await t.app.inject({ method: 'POST', url: '/api/session', payload: { email: 'https@example.com', password: STRONG_PASSWORD } });
      assert.match(String(r.headers['strict-transport-security']), /max-age=31536000/);
      assert.match(String((await t.app.inject({ method: 'GET', url: '/' })).headers['strict-transport-security']), /max-age=31536000/);
      const cookie = r.cookies.find((c) => c.name === '__Host-gatehouse_session');
      assert.ok(cookie, 'prefixed cookie');
      assert.equal(cookie.secure, true);
      assert.equal(cookie.domain, undefined, '__Host- forbids Domain');
      assert.equal(cookie.path, '/');
      const me = await t.app.inject({ method: 'GET', url: '/api/session', cookies: { '__Host-gatehouse_session': cookie.value } });
      assert.equal(me.statusCode, 200);
    } finally {
      await t.close();
    }
  });

  it('keeps the session cookie host-only and __Host- prefixed when GATEHOUSE_COOKIE_DOMAIN is set (the domain gets the verify-only cookie)', async () => {
    const t = await startTestApp({
      url: 'sqlite::memory:',
      env: { GATEHOUSE_PUBLIC_URL: 'https://login.example.com', GATEHOUSE_COOKIE_DOMAIN: 'example.com' },
    });
    try {
      await seedUser(t.s, 'sibling@example.com');
      const r = await t.app.inject({ method: 'POST', url: '/api/session', payload: { email: 'sibling@example.com', password: STRONG_PASSWORD } });
      const cookie = r.cookies.find((c) => c.name === '__Host-gatehouse_session');
      assert.equal(cookie?.domain, undefined);
      assert.equal(cookie?.secure, true);
      assert.equal(r.cookies.find((c) => c.name === '__Secure-gatehouse_verify')?.domain, 'example.com');
    } finally {
      await t.close();
    }
  });
});
