// Requiring 2FA: grace periods with an injected clock, restricted sessions on every route,
// admins-only policy, and the lost-phone path; on both databases. Each test starts from the policy
// "off" and brings its own administrator and users.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { type Client, STRONG_PASSWORD, enrolTwoFactor, seedUser, uniqueEmail } from '../../test-support/harness.js';
import { phoneCode } from '../../test-support/authenticator.js';
import { graceDecision } from '../../core/two-factor-requirement.js';

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

describeOnEachDialect('require 2FA', { resetSettings: true }, (suite) => {
  const { clock } = suite;
  const t = suite.app({ env: { GATEHOUSE_ACCESS_DEFAULT: 'allow' } });

  /**
   * An administrator of this test's own, with 2FA on so that no policy restricts them. Each call
   * of the returned function signs them in anew, with one of their backup codes, so signing in
   * never moves the test's clock.
   */
  async function enrolledAdmin(): Promise<{ email: string; signIn: () => Promise<Client> }> {
    const email = uniqueEmail('boss');
    await seedUser(t.s, email, 'admin');
    const c = t.client();
    await c.signIn(email);
    const codes = (await enrolTwoFactor(c)).backupCodes;
    return {
      email,
      signIn: async () => {
        const admin = t.client();
        assert.deepEqual((await admin.signIn(email)).body, { status: 'second_factor_required' });
        assert.equal((await admin.post('/api/session/second-factor', { code: codes.pop() })).status, 200);
        // Changing the settings or someone's 2FA needs a step-up: the password and a code.
        assert.equal((await admin.stepUp(STRONG_PASSWORD, codes.pop())).status, 204);
        return admin;
      },
    };
  }
  const find = async (admin: Client, email: string) => (await admin.get(`/api/admin/users?q=${encodeURIComponent(email)}`)).body.users[0];

  it('with everyone and grace 0: a user without 2FA can do nothing but enrol, then lands in the platform', async () => {
    const a = await (await enrolledAdmin()).signIn();
    const saved = await a.put('/api/admin/settings/authentication', { require2fa: 'everyone', require2faGraceDays: 0 });
    assert.equal(saved.body.require2fa, 'everyone');
    const late = uniqueEmail('late');
    await seedUser(t.s, late);
    const u = t.client();
    const signIn = await u.signIn(late);
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
    const enabled = await u.post('/api/me/2fa/enable', { code: phoneCode(key, clock.now()) });
    assert.equal(enabled.status, 200);
    assert.equal(enabled.body.backupCodes.length, 10);
    assert.notEqual(u.cookie, restrictedToken, 'a new, full session');
    assert.equal((await u.get('/api/me/2fa')).body.enabled, true);
    assert.equal((await u.get('/api/session')).body.user.restricted, undefined);
    assert.equal((await u.get('/api/verify')).status, 200);
  });

  it('signing out a restricted session works', async () => {
    await suite.resetSettings({ require2fa: 'everyone', require2faGraceDays: 0 });
    const leaver = uniqueEmail('leaver');
    await seedUser(t.s, leaver);
    const u = t.client();
    assert.equal((await u.signIn(leaver)).body.status, 'two_factor_setup_required');
    assert.equal((await u.delete('/api/session')).status, 204);
    assert.equal((await u.get('/api/session')).status, 401);
  });

  it('with grace 7: signs in normally with the deadline, which counts from when the requirement first applied', async () => {
    const admin = await enrolledAdmin();
    const early = uniqueEmail('early');
    await seedUser(t.s, early);
    clock.advance(DAY); // the account is older than the policy: its deadline does not count from its creation
    const changedAt = clock.now();
    assert.equal((await (await admin.signIn()).put('/api/admin/settings/authentication', { require2fa: 'everyone', require2faGraceDays: 7 })).status, 200);
    clock.advance(2 * DAY); // the user signs in two days after the policy came in
    const u = t.client();
    const r = await u.signIn(early);
    assert.equal(r.body.status, 'authenticated');
    assert.equal(r.body.user.twoFactorRequiredBy, new Date(changedAt + 7 * DAY).toISOString(), JSON.stringify(r.body));
    assert.equal((await u.get('/api/session')).body.user.twoFactorRequiredBy, new Date(changedAt + 7 * DAY).toISOString());
    const row = await find(await admin.signIn(), early);
    assert.equal(row.twoFactorRequired, true);
    assert.equal(row.twoFactorOverdue, false);
    clock.set(changedAt + 7 * DAY - 1);
    assert.equal((await t.client().signIn(early)).body.status, 'authenticated', 'not overdue a moment before the deadline');
    clock.set(changedAt + 7 * DAY);
    assert.equal((await t.client().signIn(early)).body.status, 'two_factor_setup_required', 'overdue at the deadline');
    assert.equal((await find(await admin.signIn(), early)).twoFactorOverdue, true);
  });

  it('with admins: plain users are untouched, admins are required', async () => {
    const a = await (await enrolledAdmin()).signIn();
    const plain = uniqueEmail('plain');
    await seedUser(t.s, plain);
    await a.put('/api/admin/settings/authentication', { require2fa: 'admins', require2faGraceDays: 0 });
    const r = await t.client().signIn(plain);
    assert.equal(r.body.status, 'authenticated');
    assert.equal(r.body.user.twoFactorRequiredBy, undefined);
    const second = uniqueEmail('second-admin');
    await seedUser(t.s, second, 'admin');
    assert.equal((await t.client().signIn(second)).body.status, 'two_factor_setup_required');
    // A promotion starts the requirement for that user.
    const row = await find(a, plain);
    assert.equal(row.twoFactorRequired, false);
    await a.patch(`/api/admin/users/${row.id}`, { role: 'admin' });
    assert.equal((await t.client().signIn(plain)).body.status, 'two_factor_setup_required');
    await a.patch(`/api/admin/users/${row.id}`, { role: 'user' });
    assert.equal((await t.client().signIn(plain)).body.status, 'authenticated');
  });

  it("after an admin disables a required user's 2FA, that user must enrol again", async () => {
    const admin = await enrolledAdmin();
    const a = await admin.signIn();
    const lost = uniqueEmail('lost-phone');
    await seedUser(t.s, lost);
    const u = t.client();
    await u.signIn(lost);
    await enrolTwoFactor(u);
    await a.put('/api/admin/settings/authentication', { require2fa: 'everyone', require2faGraceDays: 30 });
    const row = await find(a, lost);
    assert.equal(row.twoFactorEnabled, true);
    assert.equal((await a.post(`/api/admin/users/${row.id}/2fa/disable`)).status, 204);
    assert.equal((await t.client().signIn(lost)).body.status, 'two_factor_setup_required', 'no fresh grace period');
    clock.advance(1000);
    await a.put('/api/admin/settings/authentication', { require2fa: 'off' });
    assert.equal((await t.client().signIn(lost)).body.status, 'authenticated');
    const changes = (await a.get(`/api/admin/audit?kind=settings.changed&account=${encodeURIComponent(admin.email)}`)).body.events.map(
      (e: { details: { changed: Record<string, unknown> } }) => e.details.changed,
    );
    assert.deepEqual(
      changes.map((c: Record<string, unknown>) => Object.keys(c).sort()),
      [['require2fa'], ['require2fa', 'require2faGraceDays']],
    );
  });
});
