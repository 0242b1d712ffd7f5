// GET /api/verify: full sessions only, identity headers, role and 2FA demands; both databases.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, type TestDatabase } from '../../test-support/databases.js';
import { Client, seedUser, startTestApp, type TestApp } from '../../test-support/harness.js';
import { phoneCode } from '../../test-support/authenticator.js';
import { hashSessionToken } from '../../crypto/tokens.js';

for (const dialect of DIALECTS) {
  describe(`forward auth /api/verify on ${dialect.name}`, { skip: dialect.skip }, () => {
    let database: TestDatabase;
    let t: TestApp;
    let now = Date.UTC(2026, 10, 29, 7, 0, 2);

    before(async () => {
      database = await dialect.create();
      t = await startTestApp({ url: database.url, clock: () => now });
      await seedUser(t.s, 'plain@example.com');
      await seedUser(t.s, 'chief@example.com', 'admin');
    });
    after(async () => {
      await t?.close();
      await database?.drop();
    });

    it('answers 401 without a session and with a forged cookie', async () => {
      assert.equal((await new Client(t.app).get('/api/verify')).status, 401);
      const forged = new Client(t.app);
      forged.cookie = 'A'.repeat(43);
      assert.equal((await forged.get('/api/verify')).body.error, 'unauthenticated');
    });

    it('gives the identity headers for a full session, and honours ?role=admin and ?2fa=required', async () => {
      const c = new Client(t.app);
      const user = (await c.signIn('plain@example.com')).body.user;
      const ok = await c.get('/api/verify');
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['x-gatehouse-user-id'], user.id);
      assert.equal(ok.headers['x-gatehouse-email'], 'plain@example.com');
      assert.equal(ok.headers['x-gatehouse-role'], 'user');
      assert.equal(ok.headers['x-gatehouse-2fa'], 'false');
      assert.equal((await c.get('/api/verify?role=admin')).body.error, 'forbidden');
      assert.equal((await c.get('/api/verify?2fa=required')).body.error, 'two_factor_required');
      assert.equal((await c.get('/api/verify?role=owner')).status, 400);
    });

    it('treats a pending sign-in as unauthenticated, and accepts the full session after the code', async () => {
      const c = new Client(t.app);
      await c.signIn('chief@example.com');
      await c.stepUp();
      const key = (await c.post('/api/me/2fa/setup')).body.key as string;
      await c.post('/api/me/2fa/enable', { code: phoneCode(key, now) });
      await c.delete('/api/session');
      await c.signIn('chief@example.com');
      assert.equal((await c.get('/api/verify')).status, 401);
      now += 30_000;
      await c.post('/api/session/second-factor', { code: phoneCode(key, now) });
      const ok = await c.get('/api/verify?role=admin&2fa=required');
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['x-gatehouse-2fa'], 'true');
    });

    it('writes at most once a minute per session (idle refresh), not on every check', async () => {
      const c = new Client(t.app);
      await c.signIn('plain@example.com');
      const tokenHash = hashSessionToken(c.cookie!);
      const seen = async () => (await t.s.db.selectFrom('sessions').select('last_seen_at').where('token_hash', '=', tokenHash).executeTakeFirstOrThrow()).last_seen_at;
      const before = await seen();
      now += 30_000;
      await c.get('/api/verify');
      assert.equal(await seen(), before, 'no write within the minute');
      now += 31_000;
      await c.get('/api/verify');
      assert.equal(await seen(), now);
    });
  });
}
