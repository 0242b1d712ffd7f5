// GET /api/verify: full sessions only, identity headers, role and 2FA demands; both databases.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { enrolTwoFactor, seedUser, uniqueEmail } from '../../test-support/harness.js';
import { phoneCode } from '../../test-support/authenticator.js';
import { hashSessionToken } from '../../crypto/tokens.js';

describeOnEachDialect('forward auth /api/verify', (suite) => {
  const { clock } = suite;
  // About the session and the per-route conditions, not the rules: hosts no application names are let in.
  const t = suite.app({ env: { GATEHOUSE_ACCESS_DEFAULT: 'allow' } });

  it('answers 401 without a session and with a forged cookie', async () => {
    assert.equal((await t.client().get('/api/verify')).status, 401);
    const forged = t.client();
    forged.cookie = 'A'.repeat(43);
    assert.equal((await forged.get('/api/verify')).body.error, 'unauthenticated');
  });

  it('gives the identity headers for a full session, and honours ?role=admin and ?2fa=required', async () => {
    const plain = uniqueEmail('plain');
    await seedUser(t.s, plain);
    const c = t.client();
    const user = (await c.signIn(plain)).body.user;
    const ok = await c.get('/api/verify');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['x-gatehouse-user-id'], user.id);
    assert.equal(ok.headers['x-gatehouse-email'], plain);
    assert.equal(ok.headers['x-gatehouse-role'], 'user');
    assert.equal(ok.headers['x-gatehouse-2fa'], 'false');
    assert.equal((await c.get('/api/verify?role=admin')).body.error, 'forbidden');
    assert.equal((await c.get('/api/verify?2fa=required')).body.error, 'two_factor_required');
    assert.equal((await c.get('/api/verify?role=owner')).status, 400);
  });

  it('treats a pending sign-in as unauthenticated, and accepts the full session after the code', async () => {
    const chief = uniqueEmail('chief');
    await seedUser(t.s, chief, 'admin');
    const c = t.client();
    await c.signIn(chief);
    const { key } = await enrolTwoFactor(c);
    await c.delete('/api/session');
    assert.equal((await c.signIn(chief)).body.status, 'second_factor_required');
    assert.equal((await c.get('/api/verify')).status, 401);
    clock.advance(30_000);
    assert.equal((await c.post('/api/session/second-factor', { code: phoneCode(key, clock.now()) })).status, 200);
    const ok = await c.get('/api/verify?role=admin&2fa=required');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['x-gatehouse-2fa'], 'true');
  });

  it('writes at most once a minute per session (idle refresh), not on every check', async () => {
    const plain = uniqueEmail('plain');
    await seedUser(t.s, plain);
    const c = t.client();
    await c.signIn(plain);
    const tokenHash = hashSessionToken(c.cookie!);
    const seen = async () =>
      (await t.s.db.selectFrom('sessions').select('last_seen_at').where('token_hash', '=', tokenHash).executeTakeFirstOrThrow()).last_seen_at;
    const before = await seen();
    clock.advance(30_000);
    assert.equal((await c.get('/api/verify')).status, 200);
    assert.equal(await seen(), before, 'no write within the minute');
    clock.advance(31_000);
    assert.equal((await c.get('/api/verify')).status, 200);
    assert.equal(await seen(), clock.now());
  });
});
