// Requiring 2FA: grace periods with an injected clock, restricted sessions on every route,
// admins-only policy, and the lost-phone path; on both databases.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, type TestDatabase } from '../../test-support/databases.js';
import { Client, STRONG_PASSWORD, seedUser, startTestApp, type TestApp } from '../../test-support/harness.js';
import { phoneCode } from '../../test-support/authenticator.js';
import { graceDecision } from '../sign-in/session-decision.js';

const DAY = 86_400_000;

describe('grace period arithmetic', () => {
  it('is overdue exactly at the deadline', () => {
    assert.deepEqual(graceDecision(1000, 7, 1000 + 7 * DAY - 1), { deadline: 1000 + 7 * DAY, overdue: false });
    assert.equal(graceDecision(1000, 7, 1000 + 7 * DAY).overdue, true);
    assert.equal(graceDecision(1000, 0, 1000).overdue, true);
  });
});

/** Every route a signed-in user could call, with a body that would otherwise be valid. */
const ROUTES: Array<[method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown]> = [
  ['POST', '/api/me/password', { currentPassword: STRONG_PASSWORD, newPassword: 'another-long-password-77' }],
  ['GET', '/api/me/2fa'],
  ['POST', '/api/me/2fa/disable', { password: STRONG_PASSWORD }],
  ['POST', '/api/me/2fa/backup-codes', { code: '123456' }],
  ['GET', '/api/admin/users'],
  ['POST', '/api/admin/users', { email: 'x@example.com', password: STRONG_PASSWORD, role: 'user' }],
  ['PATCH', '/api/admin/users/00000000-0000-0000-0000-000000000000', { blocked: true }],
  ['POST', '/api/admin/users/00000000-0000-0000-0000-000000000000/unlock'],
  ['POST', '/api/admin/users/00000000-0000-0000-0000-000000000000/2fa/disable'],
  ['GET', '/api/admin/settings/authentication'],
  ['PUT', '/api/admin/settings/authentication', { require2fa: 'off' }],
  ['GET', '/api/admin/audit'],
];

for (const dialect of DIALECTS) {
  describe(`require 2FA on ${dialect.name}`, { skip: dialect.skip }, () => {
    let database: TestDatabase;
    let t: TestApp;
    let now = Date.UTC(2026, 10, 29, 8, 0, 1);
    const admin = async () => {
      const c = new Client(t.app);
      const r = await c.signIn('boss@example.com');
      if (r.body.status === 'second_factor_required') {
        now += 30_000;
        await c.post('/api/session/second-factor', { code: phoneCode(bossKey, now) });
        // Changing the settings or someone's 2FA needs a step-up, with a code of a later step.
        now += 30_000;
        assert.equal((await c.stepUp(STRONG_PASSWORD, phoneCode(bossKey, now))).status, 204);
      }
      return c;
    };
    let bossKey = '';

    before(async () => {
      database = await dialect.create();
      t = await startTestApp({ url: database.url, clock: () => now });
      await seedUser(t.s, 'boss@example.com', 'admin');
      await seedUser(t.s, 'early@example.com');
      const c = new Client(t.app);
      await c.signIn('boss@example.com');
      await c.stepUp();
      bossKey = (await c.post('/api/me/2fa/setup')).body.key;
      await c.post('/api/me/2fa/enable', { code: phoneCode(bossKey, now) });
    });
    after(async () => {
      await t?.close();
      await database?.drop();
    });

    it('with everyone and grace 0: a user without 2FA can do nothing but enrol, then lands in the platform', async () => {
      const a = await admin();
      const saved = await a.put('/api/admin/settings/authentication', { require2fa: 'everyone', require2faGraceDays: 0 });
      assert.equal(saved.body.require2fa, 'everyone');
      await seedUser(t.s, 'late@example.com');
      const u = new Client(t.app);
      const signIn = await u.signIn('late@example.com');
      assert.deepEqual(signIn.body, { status: 'two_factor_setup_required' });
      const me = await u.get('/api/session');
      assert.equal(me.status, 200);
      assert.equal(me.body.user.restricted, true);
      for (const [method, url, body] of ROUTES) {
        const r = await u.call(method, url, body);
        assert.equal(r.status, 403, `${method} ${url}`);
        assert.equal(r.body.error, 'two_factor_setup_required', `${method} ${url}`);
      }
      assert.equal((await u.get('/api/verify')).status, 401, 'a guarded app sees no session');
      await u.stepUp();
      const key = (await u.post('/api/me/2fa/setup')).body.key as string;
      const restrictedToken = u.cookie;
      const enabled = await u.post('/api/me/2fa/enable', { code: phoneCode(key, now) });
      assert.equal(enabled.status, 200);
      assert.equal(enabled.body.backupCodes.length, 10);
      assert.notEqual(u.cookie, restrictedToken, 'a new, full session');
      assert.equal((await u.get('/api/me/2fa')).body.enabled, true);
      assert.equal((await u.get('/api/session')).body.user.restricted, undefined);
      assert.equal((await u.get('/api/verify')).status, 200);
    });

    it('signing out a restricted session works', async () => {
      await seedUser(t.s, 'leaver@example.com');
      const u = new Client(t.app);
      assert.equal((await u.signIn('leaver@example.com')).body.status, 'two_factor_setup_required');
      assert.equal((await u.delete('/api/session')).status, 204);
      assert.equal((await u.get('/api/session')).status, 401);
    });

    it('with grace 7: signs in normally with the deadline, which counts from when the requirement first applied', async () => {
      const a = await admin();
      await a.put('/api/admin/settings/authentication', { require2fa: 'off' });
      now += DAY;
      const fresh = await admin(); // the first session has gone idle meanwhile
      const changedAt = now;
      assert.equal((await fresh.put('/api/admin/settings/authentication', { require2fa: 'everyone', require2faGraceDays: 7 })).status, 200);
      now += 2 * DAY; // the user signs in two days after the policy came in
      const u = new Client(t.app);
      const r = await u.signIn('early@example.com');
      assert.equal(r.body.status, 'authenticated');
      assert.equal(r.body.user.twoFactorRequiredBy, new Date(changedAt + 7 * DAY).toISOString(), JSON.stringify(r.body));
      assert.equal((await u.get('/api/session')).body.user.twoFactorRequiredBy, new Date(changedAt + 7 * DAY).toISOString());
      const row = (await (await admin()).get('/api/admin/users?q=early')).body.users[0];
      assert.equal(row.twoFactorRequired, true);
      assert.equal(row.twoFactorOverdue, false);
      now = changedAt + 7 * DAY;
      assert.equal((await new Client(t.app).signIn('early@example.com')).body.status, 'two_factor_setup_required', 'overdue at the deadline');
      assert.equal((await (await admin()).get('/api/admin/users?q=early')).body.users[0].twoFactorOverdue, true);
    });

    it('with admins: plain users are untouched, admins are required', async () => {
      const a = await admin();
      await a.put('/api/admin/settings/authentication', { require2fa: 'admins', require2faGraceDays: 0 });
      const r = await new Client(t.app).signIn('early@example.com');
      assert.equal(r.body.status, 'authenticated');
      assert.equal(r.body.user.twoFactorRequiredBy, undefined);
      await seedUser(t.s, 'second-admin@example.com', 'admin');
      assert.equal((await new Client(t.app).signIn('second-admin@example.com')).body.status, 'two_factor_setup_required');
      // A promotion starts the requirement for that user.
      const early = (await a.get('/api/admin/users?q=early')).body.users[0];
      assert.equal(early.twoFactorRequired, false);
      await a.patch(`/api/admin/users/${early.id}`, { role: 'admin' });
      assert.equal((await new Client(t.app).signIn('early@example.com')).body.status, 'two_factor_setup_required');
      await a.patch(`/api/admin/users/${early.id}`, { role: 'user' });
      assert.equal((await new Client(t.app).signIn('early@example.com')).body.status, 'authenticated');
    });

    it('after an admin disables a required user\'s 2FA, that user must enrol again', async () => {
      const a = await admin();
      await a.put('/api/admin/settings/authentication', { require2fa: 'everyone', require2faGraceDays: 30 });
      const late = (await a.get('/api/admin/users?q=late@')).body.users[0];
      assert.equal(late.twoFactorEnabled, true);
      assert.equal((await a.post(`/api/admin/users/${late.id}/2fa/disable`)).status, 204);
      assert.equal((await new Client(t.app).signIn('late@example.com')).body.status, 'two_factor_setup_required', 'no fresh grace period');
      await a.put('/api/admin/settings/authentication', { require2fa: 'off' });
      assert.equal((await new Client(t.app).signIn('late@example.com')).body.status, 'authenticated');
      const kinds = (await a.get('/api/admin/audit?kind=settings.changed')).body.events.map((e: { details: { changed: Record<string, unknown> } }) => Object.keys(e.details.changed));
      assert.ok(kinds.some((k: string[]) => k.includes('require2fa')));
    });
  });
}
