// Sessions that follow the account, tried as an attacker would: a stolen cookie (a fresh sign-in)
// cannot change a factor, the password or weaken anything without a step-up; the step-up window
// is 10 minutes on the fake clock; policy, role and 2FA changes reach open sessions at once.
// On SQLite and PostgreSQL; each test has its own users.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { Client, STRONG_PASSWORD, enrolTwoFactor, seedUser } from '../../test-support/harness.js';
import { phoneCode } from '../../test-support/authenticator.js';

const PLACEHOLDER_ID = '00000000-0000-0000-0000-000000000000';

/** What the issue names as needing a step-up; the route table must mark at least these. */
const STEP_UP_ROUTES = [
  'POST /api/me/password',
  'POST /api/me/2fa/setup',
  'POST /api/me/2fa/enable',
  'POST /api/me/2fa/disable',
  'POST /api/me/2fa/backup-codes',
  'POST /api/admin/users/:id/2fa/disable',
  'PATCH /api/admin/users/:id',
  'PUT /api/admin/settings/authentication',
];

describeOnEachDialect('sessions follow the account', { resetSettings: true }, (suite) => {
  const { clock } = suite;
  // Forward auth here is about the session, not the rules: hosts no application names are let in.
  const t = suite.app({ env: { GATEHOUSE_ACCESS_DEFAULT: 'allow' } });

  /** A new account with 2FA, signed in and (at enrolment) stepped up. */
  async function enrol(email: string, role: 'admin' | 'user' = 'user'): Promise<{ c: Client; key: string; codes: string[] }> {
    await seedUser(t.s, email, role);
    const c = new Client(t.app);
    await c.signIn(email);
    const { key, backupCodes } = await enrolTwoFactor(c);
    return { c, key, codes: backupCodes };
  }

  /**
   * An administrator of its own, with 2FA (a require-2FA policy it sets covers itself too) and
   * stepped up (at enrolment).
   */
  async function admin(email: string): Promise<Client> {
    return (await enrol(email, 'admin')).c;
  }

  const userId = async (email: string) => (await t.s.users.findByEmail(email))!.id;

  it('a stolen cookie (a fresh full session) gets 403 reauthentication_required on every step-up route', async () => {
    const marked = t.app.routeTable.filter((r) => r.stepUp).map((r) => `${r.method} ${r.url}`);
    for (const route of STEP_UP_ROUTES) assert.ok(marked.includes(route), `${route} needs a step-up`);
    await seedUser(t.s, 'stolen-admin@example.com', 'admin');
    const thief = new Client(t.app);
    await thief.signIn('stolen-admin@example.com');
    for (const route of t.app.routeTable.filter((r) => r.stepUp)) {
      const r = await thief.call(
        route.method as 'POST',
        route.url.replace(':id', PLACEHOLDER_ID),
        route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
      );
      assert.equal(r.status, 403, `${route.method} ${route.url}`);
      assert.equal(r.body.error, 'reauthentication_required', `${route.method} ${route.url}`);
    }
    // With 2FA on: the cookie alone turns nothing off and enrols nothing.
    const { key } = await enrol('victim@example.com');
    const stolen = new Client(t.app);
    await stolen.signIn('victim@example.com');
    clock.advance(30_000);
    await stolen.post('/api/session/second-factor', { code: phoneCode(key, clock.now()) });
    assert.equal((await stolen.post('/api/me/2fa/disable', { password: STRONG_PASSWORD })).body.error, 'reauthentication_required');
    assert.equal((await stolen.post('/api/me/2fa/setup')).body.error, 'reauthentication_required');
    assert.equal((await stolen.stepUp(STRONG_PASSWORD)).body.error, 'invalid_code', 'the password alone is no step-up when 2FA is on');
    assert.equal((await stolen.post('/api/me/2fa/disable', { password: STRONG_PASSWORD })).body.error, 'reauthentication_required');
    assert.equal((await t.s.twoFactor.status(await userId('victim@example.com'))).enabled, true);
    // A restricted session (must enrol) steps up too: it came from a password alone.
    const a = await admin('policy-admin@example.com');
    assert.equal((await a.put('/api/admin/settings/authentication', { require2fa: 'everyone', require2faGraceDays: 0 })).status, 200);
    await seedUser(t.s, 'must-enrol@example.com');
    const restricted = new Client(t.app);
    assert.equal((await restricted.signIn('must-enrol@example.com')).body.status, 'two_factor_setup_required');
    assert.equal((await restricted.post('/api/me/2fa/setup')).body.error, 'reauthentication_required');
    assert.equal((await restricted.stepUp()).status, 204);
    assert.equal((await restricted.post('/api/me/2fa/setup')).status, 200);
    assert.equal((await a.put('/api/admin/settings/authentication', { require2fa: 'off' })).status, 200);
  });

  it('step-up: wrong password 401, wrong code 401, both counted; opens 10 minutes for that session only', async () => {
    const { c, key } = await enrol('stepper@example.com');
    const other = new Client(t.app);
    await other.signIn('stepper@example.com');
    clock.advance(30_000);
    await other.post('/api/session/second-factor', { code: phoneCode(key, clock.now()) });
    const fresh = new Client(t.app);
    await fresh.signIn('stepper@example.com');
    clock.advance(30_000);
    await fresh.post('/api/session/second-factor', { code: phoneCode(key, clock.now()) });

    const wrongPassword = await fresh.stepUp('not-the-password-at-all', phoneCode(key, clock.now() + 30_000));
    assert.equal(wrongPassword.status, 401);
    assert.equal(wrongPassword.body.error, 'invalid_credentials');
    const wrongCode = await fresh.stepUp(STRONG_PASSWORD, phoneCode(key, clock.now()) === '000000' ? '111111' : '000000');
    assert.equal(wrongCode.status, 401);
    assert.equal(wrongCode.body.error, 'invalid_code');
    clock.advance(30_000);
    const opened = clock.now();
    assert.equal((await fresh.stepUp(STRONG_PASSWORD, phoneCode(key, clock.now()))).status, 204);
    assert.equal((await fresh.post('/api/me/2fa/backup-codes', { code: 'abc' })).status, 400, 'past the step-up, into validation');
    assert.equal((await other.post('/api/me/2fa/backup-codes', { code: 'abc' })).body.error, 'reauthentication_required', 'that session only');
    const enrolling = await c.post('/api/me/2fa/backup-codes', { code: 'abc' });
    assert.equal(enrolling.status, 400, `the enrolling session stepped up itself: ${JSON.stringify(enrolling.body)}`);
    clock.set(opened + 10 * 60_000 - 1);
    assert.equal((await fresh.post('/api/me/2fa/backup-codes', { code: 'abc' })).status, 400);
    clock.set(opened + 10 * 60_000);
    assert.equal((await fresh.post('/api/me/2fa/backup-codes', { code: 'abc' })).body.error, 'reauthentication_required', 'closed after 10 minutes');

    const events = await t.s.db.selectFrom('audit_events').select('kind').where('subject_email', '=', 'stepper@example.com').execute();
    assert.ok(events.some((e) => e.kind === 'reauthenticated'));
    assert.equal(events.filter((e) => e.kind === 'reauthentication.failed').length, 2);

    // Wrong step-up passwords count toward the same lock as sign-ins.
    await seedUser(t.s, 'guesser@example.com');
    const g = new Client(t.app);
    await g.signIn('guesser@example.com');
    const { passwordAttempts } = await t.s.settings.get();
    for (let i = 0; i < passwordAttempts; i++) assert.equal((await g.stepUp('wrong-password-number-' + i)).status, 401);
    assert.equal((await g.stepUp()).status, 429, 'locked: not even the right password');
    assert.equal((await new Client(t.app).signIn('guesser@example.com')).status, 429, 'sign-in is locked too');
    clock.advance(3_600_000);
  });

  it('a policy change reaches open sessions at once, both ways; so does a promotion', async () => {
    const a = await admin('policy-boss@example.com');
    await seedUser(t.s, 'open@example.com');
    const u = new Client(t.app);
    await u.signIn('open@example.com');
    assert.equal((await u.get('/api/me/2fa')).status, 200);
    assert.equal((await u.get('/api/verify')).status, 200);

    assert.equal((await a.put('/api/admin/settings/authentication', { require2fa: 'everyone', require2faGraceDays: 0 })).status, 200);
    assert.equal((await u.get('/api/me/2fa')).body.error, 'two_factor_setup_required');
    assert.equal((await u.get('/api/verify')).status, 401);
    assert.equal((await u.get('/api/session')).body.user.restricted, true);
    assert.equal((await a.put('/api/admin/settings/authentication', { require2fa: 'off' })).status, 200);
    assert.equal((await u.get('/api/me/2fa')).status, 200, 'full again');

    // Admins only, grace 0: a promoted user without 2FA is restricted in the session he has open.
    assert.equal((await a.put('/api/admin/settings/authentication', { require2fa: 'admins', require2faGraceDays: 0 })).status, 200);
    assert.equal((await u.get('/api/me/2fa')).status, 200, 'plain users are not covered');
    assert.equal((await a.patch(`/api/admin/users/${await userId('open@example.com')}`, { role: 'admin' })).status, 200);
    const users = await u.get('/api/admin/users');
    assert.equal(users.status, 403);
    assert.equal(users.body.error, 'two_factor_setup_required');
    assert.equal((await u.put('/api/admin/settings/authentication', { require2fa: 'off' })).body.error, 'two_factor_setup_required');
    assert.equal((await a.patch(`/api/admin/users/${await userId('open@example.com')}`, { role: 'user' })).status, 200);
    assert.equal((await u.get('/api/me/2fa')).status, 200);
    assert.equal((await a.put('/api/admin/settings/authentication', { require2fa: 'off' })).status, 200);
  });

  it('turning 2FA off ends the other sessions: by the owner (who keeps this one), by an admin (all)', async () => {
    const { c, key } = await enrol('owner@example.com');
    const elsewhere = new Client(t.app);
    await elsewhere.signIn('owner@example.com');
    clock.advance(30_000);
    await elsewhere.post('/api/session/second-factor', { code: phoneCode(key, clock.now()) });
    assert.equal((await elsewhere.get('/api/session')).status, 200);
    assert.equal((await c.post('/api/me/2fa/disable', { password: STRONG_PASSWORD })).status, 204, 'stepped up at enrolment, minutes ago');
    assert.equal((await elsewhere.get('/api/session')).status, 401, 'the other session ended');
    assert.equal((await c.get('/api/session')).status, 200, 'the owner keeps this one');

    clock.advance(60_000);
    const again = await enrol('lost-phone@example.com');
    const a = await admin('helpdesk@example.com');
    assert.equal((await a.post(`/api/admin/users/${await userId('lost-phone@example.com')}/2fa/disable`)).status, 204);
    assert.equal((await again.c.get('/api/session')).status, 401, "all of the user's sessions ended");
    assert.equal((await a.get('/api/session')).status, 200);
  });
});
