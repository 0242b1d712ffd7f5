// Signing in and out over HTTP, on SQLite and PostgreSQL.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { STRONG_PASSWORD, seedUser, uniqueEmail } from '../../test-support/harness.js';
import { hashSessionToken } from '../../crypto/tokens.js';

describeOnEachDialect('sign-in', (suite) => {
  const { clock } = suite;
  const t = suite.app();

  /** A user of this test's own. */
  async function user(): Promise<string> {
    const email = uniqueEmail('user');
    await seedUser(t.s, email);
    return email;
  }

  it('signs in with the right password, case-insensitive email, and sets a safe cookie', async () => {
    const email = uniqueEmail('admin');
    await seedUser(t.s, email.charAt(0).toUpperCase() + email.slice(1), 'admin'); // stored lower case
    const c = t.client();
    const r = await c.signIn(`  ${email.toUpperCase()} `);
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'authenticated');
    assert.deepEqual(Object.keys(r.body.user).sort(), ['email', 'id', 'locale', 'role', 'twoFactorEnabled']);
    assert.equal(r.body.user.email, email);
    assert.equal(r.body.user.role, 'admin');
    const cookie = r.cookies.find((k) => k.name === 'gatehouse_session')!;
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');
    assert.ok(cookie.value.length >= 43, 'at least 256 bits of token');
    const me = await c.get('/api/session');
    assert.equal(me.status, 200);
    assert.equal(me.body.user.email, email);
  });

  it('stores only the SHA-256 of the session token', async () => {
    const c = t.client();
    await c.signIn(await user());
    const rows = await t.s.db.selectFrom('sessions').select('token_hash').execute();
    assert.ok(rows.some((r) => r.token_hash === hashSessionToken(c.cookie!)));
    assert.ok(rows.every((r) => r.token_hash !== c.cookie));
  });

  it('answers a wrong password and an unknown email identically', async () => {
    const wrong = await t.client().signIn(await user(), 'not-the-password-at-all');
    const unknown = await t.client().signIn(uniqueEmail('nobody'), 'not-the-password-at-all');
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.body, unknown.body);
    assert.equal(unknown.status, 401);
    assert.equal(wrong.body.error, 'invalid_credentials');
    assert.equal(wrong.cookies.length, 0);
  });

  it('refuses malformed bodies with 400 invalid_request', async () => {
    const c = t.client();
    for (const body of [
      {},
      { email: 'user@example.com' },
      { email: 5, password: 'x' },
      { email: 'user@example.com', password: STRONG_PASSWORD, extra: 1 },
      { email: 'user@example.com', password: 'x'.repeat(257) },
    ]) {
      const r = await c.post('/api/session', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error, 'invalid_request');
      assert.equal(typeof r.body.message, 'string');
    }
    const raw = await t.app.inject({ method: 'POST', url: '/api/session', headers: { 'content-type': 'application/json' }, payload: '{"email":' });
    assert.equal(raw.statusCode, 400);
    assert.equal(raw.json().error, 'invalid_request');
  });

  it('refuses cross-site state changes', async () => {
    const email = await user();
    const c = t.client();
    const r1 = await c.post('/api/session', { email, password: STRONG_PASSWORD }, { 'sec-fetch-site': 'cross-site' });
    assert.equal(r1.status, 403);
    assert.equal(r1.body.error, 'cross_site');
    const r2 = await c.post('/api/session', { email, password: STRONG_PASSWORD }, { origin: 'https://evil.example' });
    assert.equal(r2.body.error, 'cross_site');
    const same = await c.post('/api/session', { email, password: STRONG_PASSWORD }, { origin: 'http://localhost:3000', 'sec-fetch-site': 'same-origin' });
    assert.equal(same.status, 200);
  });

  it('gives a new token on every sign-in and ends the session on sign-out, server-side', async () => {
    const email = await user();
    const c = t.client();
    await c.signIn(email);
    const first = c.cookie!;
    await c.signIn(email);
    assert.notEqual(c.cookie, first);
    const stolen = t.client();
    stolen.cookie = c.cookie;
    assert.equal((await c.delete('/api/session')).status, 204);
    assert.equal((await c.get('/api/session')).status, 401);
    const replay = await stolen.get('/api/session');
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error, 'unauthenticated');
  });

  it('upgrades a hash made with weaker parameters at the next sign-in', async () => {
    const strong = { memoryCost: 4096, timeCost: 2, parallelism: 1 };
    const email = await user(); // hashed with the suite's cheap parameters
    const upgraded = await suite.startApp({ argon2: strong });
    const before = await upgraded.s.db.selectFrom('users').select('password_hash').where('email', '=', email).executeTakeFirstOrThrow();
    assert.match(before.password_hash, /m=1024,t=1,p=1/);
    assert.equal((await upgraded.client().signIn(email)).status, 200);
    const after = await upgraded.s.db.selectFrom('users').select('password_hash').where('email', '=', email).executeTakeFirstOrThrow();
    assert.match(after.password_hash, /m=4096,t=2,p=1/);
    assert.equal((await upgraded.client().signIn(email)).status, 200, 'the same password still works');
  });

  it('expires sessions after the idle timeout', async () => {
    const email = await user();
    const local = await suite.startApp({ env: { GATEHOUSE_SESSION_IDLE_SECONDS: '600' } });
    const c = local.client();
    assert.equal((await c.signIn(email)).status, 200);
    clock.advance(599_000);
    assert.equal((await c.get('/api/session')).status, 200, 'still alive, and touched');
    clock.advance(599_000);
    assert.equal((await c.get('/api/session')).status, 200, 'alive: idle time was refreshed');
    clock.advance(601_000);
    assert.ok(c.cookie, 'the cookie itself lives on: the server ends the session');
    assert.equal((await c.get('/api/session')).status, 401);
  });
});

describe('cross-site guard origins', () => {
  it('accepts the loopback aliases of a loopback public URL, and nothing else', async () => {
    const { allowedOrigins } = await import('../../http/cross-site.js');
    const local = allowedOrigins(new URL('http://localhost:3000'));
    assert.ok(local.has('http://127.0.0.1:3000') && local.has('http://localhost:3000') && local.has('http://[::1]:3000'));
    assert.ok(!local.has('http://127.0.0.1:3001') && !local.has('https://localhost:3000'));
    assert.deepEqual([...allowedOrigins(new URL('https://login.example.com'))], ['https://login.example.com']);
  });
});
