// The cookie split (GATEHOUSE_COOKIE_DOMAIN): the session cookie stays on Gatehouse's own host,
// sibling hosts get a verify-only cookie that GET /api/verify accepts and every other route
// refuses. On both databases.
//
// The app runs on the suite's TestClock, and the test client judges cookies by that clock.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { Client, STRONG_PASSWORD, enrolTwoFactor, seedUser, startTestApp } from '../../test-support/harness.js';
import { phoneCode } from '../../test-support/authenticator.js';
import { hashSessionToken } from '../../crypto/tokens.js';

const SESSION = '__Host-gatehouse_session';
const VERIFY = '__Secure-gatehouse_verify';
const fill = (url: string) => url.replace(':id', '00000000-0000-0000-0000-000000000000');
const cookieOf = (r: LightMyRequestResponse, name: string) => r.cookies.find((c) => c.name === name);

describeOnEachDialect('the verify-only cookie', (suite) => {
  const { clock } = suite;
  const t = suite.app({
    env: { GATEHOUSE_PUBLIC_URL: 'https://login.example.com', GATEHOUSE_COOKIE_DOMAIN: 'example.com', GATEHOUSE_ACCESS_DEFAULT: 'allow' },
  });

  const signIn = async (email: string) => {
    const r = await t.app.inject({ method: 'POST', url: '/api/session', payload: { email, password: STRONG_PASSWORD } });
    return { r, session: cookieOf(r, SESSION)!, verify: cookieOf(r, VERIFY)! };
  };
  const call = (method: string, url: string, cookies: Record<string, string>, body?: object) =>
    t.app.inject({ method: method as 'GET', url, cookies, ...(body ? { payload: body } : {}) });

  before(async () => {
    await seedUser(t.s, 'cookie@example.com', 'admin');
    await seedUser(t.s, 'two-step@example.com');
  });

  it('sets a host-only __Host- session cookie and a separate verify cookie for the domain', async () => {
    const { session, verify } = await signIn('cookie@example.com');
    assert.ok(session && verify, 'both cookies');
    assert.equal(session.domain, undefined, 'the session cookie never leaves Gatehouse’s host');
    assert.equal(session.secure, true);
    assert.equal(verify.domain, 'example.com');
    assert.equal(verify.httpOnly, true);
    assert.equal(verify.secure, true);
    assert.equal(verify.sameSite, 'Lax');
    assert.equal(verify.path, '/');
    assert.equal(verify.expires?.getTime(), session.expires?.getTime());
    assert.match(verify.value, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(verify.value, session.value);
    const row = await t.s.db.selectFrom('sessions').selectAll().where('token_hash', '=', hashSessionToken(session.value)).executeTakeFirstOrThrow();
    assert.equal(row.verify_token_hash, hashSessionToken(verify.value), 'only the SHA-256 is stored');
    assert.ok(!JSON.stringify(row).includes(verify.value));
  });

  it('opens /api/verify, with the identity, and the role and 2FA demands', async () => {
    const { verify } = await signIn('cookie@example.com');
    const ok = await call('GET', '/api/verify', { [VERIFY]: verify.value });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.headers['x-gatehouse-email'], 'cookie@example.com');
    assert.equal((await call('GET', '/api/verify?role=admin', { [VERIFY]: verify.value })).statusCode, 200);
    assert.equal((await call('GET', '/api/verify?2fa=required', { [VERIFY]: verify.value })).statusCode, 403);
  });

  it('is refused by every other route, under its own name and under the session cookie’s', async () => {
    const { verify } = await signIn('cookie@example.com');
    const guarded = t.app.routeTable.filter((r) => r.access !== 'public');
    assert.ok(guarded.length >= 15, `${guarded.length} guarded routes`);
    const spellings: Array<Record<string, string>> = [{ [VERIFY]: verify.value }, { [SESSION]: verify.value }, { gatehouse_session: verify.value }];
    for (const cookies of spellings) {
      for (const route of guarded) {
        const r = await call(route.method, fill(route.url), cookies, route.method === 'GET' || route.method === 'DELETE' ? undefined : {});
        assert.equal(r.statusCode, 401, `${JSON.stringify(Object.keys(cookies))}: ${route.method} ${route.url}`);
      }
      assert.equal((await call('GET', '/api/verify', cookies)).statusCode, Object.keys(cookies)[0] === VERIFY ? 200 : 401);
    }
    // Signing out with it does nothing either: the session lives on.
    await call('DELETE', '/api/session', { [VERIFY]: verify.value });
    assert.equal((await call('GET', '/api/verify', { [VERIFY]: verify.value })).statusCode, 200);
  });

  it('is cleared at sign-out and stops working with its session', async () => {
    const { session, verify } = await signIn('cookie@example.com');
    const out = await call('DELETE', '/api/session', { [SESSION]: session.value });
    assert.equal(out.statusCode, 204);
    const cleared = cookieOf(out, VERIFY);
    assert.equal(cleared?.value, '');
    assert.equal(cleared?.domain, 'example.com');
    assert.ok(cleared!.expires!.getTime() <= clock.now(), "expired by the app's clock");
    assert.equal((await call('GET', '/api/verify', { [VERIFY]: verify.value })).statusCode, 401);
  });

  it('belongs to one session: a pending sign-in’s is refused, the full session’s replaces it', async () => {
    const setup = new Client(t.app, SESSION);
    await setup.signIn('two-step@example.com');
    const { key } = await enrolTwoFactor(setup);

    const { session: pending, verify: pendingVerify } = await signIn('two-step@example.com');
    assert.equal((await call('GET', '/api/verify', { [VERIFY]: pendingVerify.value })).statusCode, 401);
    clock.advance(30_000);
    const full = await call('POST', '/api/session/second-factor', { [SESSION]: pending.value }, { code: phoneCode(key, clock.now()) });
    assert.equal(full.statusCode, 200);
    const fullVerify = cookieOf(full, VERIFY)!;
    assert.notEqual(fullVerify.value, pendingVerify.value);
    assert.equal((await call('GET', '/api/verify', { [VERIFY]: fullVerify.value })).statusCode, 200);
    assert.equal((await call('GET', '/api/verify', { [VERIFY]: pendingVerify.value })).statusCode, 401);
  });
});

describe('without GATEHOUSE_COOKIE_DOMAIN', () => {
  it('sets no verify cookie: the session cookie alone, as before', async () => {
    const t = await startTestApp({ url: 'sqlite::memory:', env: { GATEHOUSE_PUBLIC_URL: 'https://login.example.com', GATEHOUSE_ACCESS_DEFAULT: 'allow' } });
    try {
      await seedUser(t.s, 'single@example.com');
      const r = await t.app.inject({ method: 'POST', url: '/api/session', payload: { email: 'single@example.com', password: STRONG_PASSWORD } });
      // The session cookie and the device-trust cookie (account protection), and no verify cookie.
      assert.deepEqual(
        r.cookies.map((c) => c.name).filter((name) => !name.endsWith('gatehouse_device')),
        [SESSION],
      );
      const session = cookieOf(r, SESSION)!;
      const row = await t.s.db
        .selectFrom('sessions')
        .select('verify_token_hash')
        .where('token_hash', '=', hashSessionToken(session.value))
        .executeTakeFirstOrThrow();
      assert.equal(row.verify_token_hash, null);
      assert.equal(
        (await t.app.inject({ method: 'GET', url: '/api/verify', cookies: { [SESSION]: session.value } })).statusCode,
        200,
        'one host: the session cookie',
      );
      const out = await t.app.inject({ method: 'DELETE', url: '/api/session', cookies: { [SESSION]: session.value } });
      assert.deepEqual(
        out.cookies.map((c) => c.name),
        [SESSION],
      );
    } finally {
      await t.close();
    }
  });

  it('names them without prefixes and without Secure under http', async () => {
    const t = await startTestApp({
      url: 'sqlite::memory:',
      env: { GATEHOUSE_PUBLIC_URL: 'http://login.gatehouse.test:8080', GATEHOUSE_COOKIE_DOMAIN: 'gatehouse.test', GATEHOUSE_ACCESS_DEFAULT: 'allow' },
    });
    try {
      await seedUser(t.s, 'plain-http@example.com');
      const r = await t.app.inject({ method: 'POST', url: '/api/session', payload: { email: 'plain-http@example.com', password: STRONG_PASSWORD } });
      const session = cookieOf(r, 'gatehouse_session')!;
      const verify = cookieOf(r, 'gatehouse_verify')!;
      assert.equal(session.domain, undefined);
      assert.equal(session.secure, undefined);
      assert.equal(verify.domain, 'gatehouse.test');
      assert.equal(verify.secure, undefined);
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/verify', cookies: { gatehouse_verify: verify.value } })).statusCode, 200);
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/session', cookies: { gatehouse_verify: verify.value } })).statusCode, 401);
    } finally {
      await t.close();
    }
  });
});
