// Administration over HTTP: users, attempt limits and unlocks, settings, audit; on both databases.
// One database per dialect; each test brings its own accounts, clock and settings.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { type Client, STRONG_PASSWORD, enrolTwoFactor, seedUser, uniqueEmail } from '../../test-support/harness.js';
import { phoneCode } from '../../test-support/authenticator.js';

const DAY = 86_400_000;

const ADMIN_ROUTES: Array<[method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, body?: unknown]> = [
  ['GET', '/api/admin/users'],
  ['POST', '/api/admin/users', { email: 'x@example.com', password: STRONG_PASSWORD, role: 'user' }],
  ['POST', '/api/admin/users/00000000-0000-0000-0000-000000000000/2fa/disable'],
  ['POST', '/api/admin/users/00000000-0000-0000-0000-000000000000/unlock'],
  ['PATCH', '/api/admin/users/00000000-0000-0000-0000-000000000000', { blocked: true }],
  ['GET', '/api/admin/settings/authentication'],
  ['PUT', '/api/admin/settings/authentication', { passwordAttempts: 3 }],
  ['GET', '/api/admin/audit'],
];

describeOnEachDialect('administration', { resetSettings: true }, (suite) => {
  const { clock } = suite;
  const t = suite.app();

  /** A new account of this test's own, signed in and stepped up. */
  async function account(label: string, role: 'admin' | 'user' = 'user'): Promise<{ email: string; c: Client }> {
    const email = uniqueEmail(label);
    await seedUser(t.s, email, role);
    const c = t.client();
    assert.equal((await c.signIn(email)).status, 200);
    // Fresh from the password: the admin actions that weaken an account, and 2FA changes, need a step-up.
    assert.equal((await c.stepUp()).status, 204);
    return { email, c };
  }
  const find = async (admin: Client, email: string) => (await admin.get(`/api/admin/users?q=${encodeURIComponent(email)}`)).body.users[0];

  it('refuses every admin route to an anonymous caller (401) and to a user (403)', async () => {
    const { c: member } = await account('member');
    for (const [method, url, body] of ADMIN_ROUTES) {
      const anonymous = await t.client().call(method, url, body);
      assert.equal(anonymous.status, 401, `${method} ${url}`);
      assert.equal(anonymous.body.error, 'unauthenticated');
      const user = await member.call(method, url, body);
      assert.equal(user.status, 403, `${method} ${url}`);
      assert.equal(user.body.error, 'forbidden');
    }
  });

  it('creates users: duplicate 409, weak 400, bad role 400', async () => {
    const { c } = await account('admin', 'admin');
    const email = uniqueEmail('new.person');
    const created = await c.post('/api/admin/users', { email: email.toUpperCase(), password: STRONG_PASSWORD, role: 'user' });
    assert.equal(created.status, 201);
    assert.equal(created.body.email, email);
    assert.equal(created.body.twoFactorEnabled, false);
    assert.equal(created.body.blocked, false);
    assert.equal(created.body.lockedUntil, null);
    assert.ok(!('password_hash' in created.body) && !JSON.stringify(created.body).includes('argon2'));
    const duplicate = await c.post('/api/admin/users', { email, password: STRONG_PASSWORD, role: 'user' });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.error, 'email_taken');
    const weak = await c.post('/api/admin/users', { email: uniqueEmail('weak'), password: 'password123', role: 'user' });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.error, 'weak_password');
    const role = await c.post('/api/admin/users', { email: uniqueEmail('role'), password: STRONG_PASSWORD, role: 'owner' });
    assert.equal(role.status, 400);
    assert.equal(role.body.error, 'invalid_request');
    assert.equal((await t.client().signIn(email)).status, 200);
  });

  it('saves settings, refuses invalid ones whole, and audits the change', async () => {
    const { email: admin, c } = await account('admin', 'admin');
    assert.deepEqual((await c.get('/api/admin/settings/authentication')).body, {
      passwordAttempts: 5,
      codeAttempts: 5,
      lockoutSeconds: 600,
      require2fa: 'off',
      require2faGraceDays: 7,
      registration: 'off',
      registrationDomains: [],
      registrationGroup: null,
      selfDeletion: false,
    });
    for (const bad of [
      { passwordAttempts: 0 },
      { codeAttempts: 101 },
      { lockoutSeconds: 59 },
      { passwordAttempts: 2.5 },
      { passwordAttempts: '3' },
      { passwordAttempts: 3, lockoutSeconds: 90000 },
      { other: 1 },
      { registration: 'yes' },
      { registrationDomains: ['not a domain'] },
      { registrationDomains: 'example.com' },
      { registrationGroup: 'no-such-group' },
      { selfDeletion: 'true' },
    ]) {
      const r = await c.put('/api/admin/settings/authentication', bad);
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.equal(r.body.error, 'invalid_request');
    }
    assert.equal((await c.get('/api/admin/settings/authentication')).body.passwordAttempts, 5, 'nothing changed');
    const saved = await c.put('/api/admin/settings/authentication', { passwordAttempts: 3, codeAttempts: 3 });
    assert.equal(saved.status, 200);
    assert.deepEqual(saved.body, {
      passwordAttempts: 3,
      codeAttempts: 3,
      lockoutSeconds: 600,
      require2fa: 'off',
      require2faGraceDays: 7,
      registration: 'off',
      registrationDomains: [],
      registrationGroup: null,
      selfDeletion: false,
    });
    const audit = (await c.get(`/api/admin/audit?kind=settings.changed&account=${encodeURIComponent(admin)}`)).body.events;
    assert.equal(audit.length, 1);
    assert.equal(audit[0].actor.email, admin);
    assert.deepEqual(audit[0].details.changed.passwordAttempts, { from: 5, to: 3 });
  });

  it('filters the audit log by time (from inclusive, to exclusive); users see only their own events', async () => {
    const { c: a } = await account('admin', 'admin');
    const member = uniqueEmail('member');
    await seedUser(t.s, member);
    const m = t.client();
    clock.advance(60_000);
    const at = clock.now();
    await m.signIn(member);
    const iso = (ms: number) => new Date(ms).toISOString();
    const kindsIn = async (query: string) =>
      (await a.get(`/api/admin/audit?account=${encodeURIComponent(member)}&kind=sign_in.succeeded&${query}`)).body.events.map((e: { at: string }) => e.at);
    assert.deepEqual(await kindsIn(`from=${encodeURIComponent(iso(at))}`), [iso(at)]);
    assert.deepEqual(await kindsIn(`from=${at + 1}`), []);
    assert.ok(!(await kindsIn(`to=${encodeURIComponent(iso(at))}`)).includes(iso(at)), 'to is exclusive');
    assert.equal((await a.get('/api/admin/audit?from=yesterday')).body.error, 'invalid_request');

    const own = await m.get('/api/me/security-events');
    assert.equal(own.status, 200);
    assert.ok(own.body.events.length > 0);
    for (const e of own.body.events) assert.equal(e.subject.email, member, 'only events about the member');
    assert.ok(!own.body.events.some((e: { kind: string }) => e.kind === 'settings.changed'));
    assert.equal((await m.get('/api/me/security-events?limit=500')).status, 400);
    assert.equal((await m.get('/api/me/security-events?kind=x')).status, 400, 'no other filters');
    assert.equal((await t.client().get('/api/me/security-events')).status, 401);
  });

  it('locks after three wrong passwords; the admin sees the lock and unlocks; a success resets the count', async () => {
    await suite.resetSettings({ passwordAttempts: 3, lockoutSeconds: 600 });
    const member = uniqueEmail('member');
    await seedUser(t.s, member);
    const c = t.client();
    for (let i = 0; i < 2; i++) assert.equal((await c.signIn(member, 'wrong-password-123')).status, 401);
    assert.equal((await c.signIn(member)).status, 200, 'a success resets the count');
    for (let i = 0; i < 3; i++) assert.equal((await c.signIn(member, 'wrong-password-123')).status, 401);
    const locked = await c.signIn(member);
    assert.equal(locked.status, 429);
    assert.equal(locked.body.error, 'locked');
    assert.equal(locked.headers['retry-after'], '600');
    assert.equal(locked.body.retryAfterSeconds, 600);

    const { c: a } = await account('admin', 'admin');
    const listed = await find(a, member);
    assert.equal(listed.lockedUntil, new Date(clock.now() + 600_000).toISOString());
    assert.equal((await a.post(`/api/admin/users/${listed.id}/unlock`)).status, 204);
    assert.equal((await c.signIn(member)).status, 200);
    assert.equal((await a.post('/api/admin/users/00000000-0000-0000-0000-000000000000/unlock')).status, 404);
    const kinds = (await a.get(`/api/admin/audit?account=${encodeURIComponent(member)}`)).body.events.map((e: { kind: string }) => e.kind);
    assert.ok(kinds.includes('account.locked') && kinds.includes('account.unlocked'), kinds.join());
  });

  it('lifts a lock by itself when lockoutSeconds have passed', async () => {
    await suite.resetSettings({ passwordAttempts: 3, lockoutSeconds: 600 });
    const member = uniqueEmail('member');
    await seedUser(t.s, member);
    const c = t.client();
    for (let i = 0; i < 3; i++) assert.equal((await c.signIn(member, 'wrong-password-123')).status, 401);
    clock.advance(599_000);
    assert.equal((await c.signIn(member)).status, 429, 'still locked a second before the end');
    clock.advance(2_000);
    assert.equal((await c.signIn(member)).status, 200);
  });

  it('counts wrong passwords on password change and 2FA disable too', async () => {
    await suite.resetSettings({ passwordAttempts: 3 });
    const { c } = await account('reauth');
    for (let i = 0; i < 3; i++) {
      const r = await c.post('/api/me/password', { currentPassword: 'wrong-password-123', newPassword: 'another-long-password-77' });
      assert.equal(r.status, 401);
    }
    const locked = await c.post('/api/me/password', { currentPassword: STRONG_PASSWORD, newPassword: 'another-long-password-77' });
    assert.equal(locked.status, 429);

    const { c: u } = await account('disabler');
    await enrolTwoFactor(u);
    for (let i = 0; i < 3; i++) assert.equal((await u.post('/api/me/2fa/disable', { password: 'wrong-password-123' })).status, 401);
    assert.equal((await u.post('/api/me/2fa/disable', { password: STRONG_PASSWORD })).status, 429);
    assert.equal((await u.get('/api/me/2fa')).body.enabled, true, 'still on');
  });

  it('locks the second step after three wrong codes, and new sign-ins with it; marks 2FA; admin disables 2FA', async () => {
    await suite.resetSettings({ codeAttempts: 3 });
    const { email: phone, c: u } = await account('phone');
    const { key } = await enrolTwoFactor(u);
    await u.delete('/api/session');
    await u.signIn(phone);
    const wrong = phoneCode(key, clock.now()) === '000000' ? '111111' : '000000';
    // Each refusal says how many tries remain before the lock (codeAttempts is 3 here).
    const left: number[] = [];
    for (let i = 0; i < 3; i++) {
      const refused = await u.post('/api/session/second-factor', { code: wrong });
      assert.equal(refused.status, 401);
      left.push(refused.body.attemptsLeft);
    }
    assert.deepEqual(left, [2, 1, 0]);
    assert.equal((await u.post('/api/session/second-factor', { code: phoneCode(key, clock.now() + 30_000) })).status, 429);
    assert.equal((await t.client().signIn(phone)).status, 429);

    const { email: admin, c: a } = await account('admin', 'admin');
    const row = await find(a, phone);
    assert.equal(row.twoFactorEnabled, true);
    assert.ok(row.lockedUntil);
    await a.post(`/api/admin/users/${row.id}/unlock`);
    assert.equal((await a.post(`/api/admin/users/${row.id}/2fa/disable`)).status, 204);
    assert.equal((await a.post(`/api/admin/users/${row.id}/2fa/disable`)).body.error, 'not_enabled');
    assert.equal((await a.post('/api/admin/users/00000000-0000-0000-0000-000000000000/2fa/disable')).status, 404);
    assert.equal((await t.client().signIn(phone)).body.status, 'authenticated', 'password alone now');
    const event = (await a.get(`/api/admin/audit?kind=2fa.disabled&account=${encodeURIComponent(phone)}`)).body.events[0];
    assert.equal(event.actor.email, admin);
    assert.equal(event.subject.email, phone);
    assert.equal(event.details.by, 'admin');
  });

  it('offers no way to enable 2FA for another account', async () => {
    const { c: a } = await account('admin', 'admin');
    const email = uniqueEmail('member');
    await seedUser(t.s, email);
    const member = await find(a, email);
    for (const body of [{ twoFactorEnabled: true }, { blocked: false, twoFactorEnabled: true }, { totpSecret: 'JBSWY3DPEHPK3PXP' }]) {
      assert.equal((await a.patch(`/api/admin/users/${member.id}`, body)).status, 400);
    }
    for (const url of [`/api/admin/users/${member.id}/2fa/enable`, `/api/admin/users/${member.id}/2fa/setup`, `/api/admin/users/${member.id}/2fa`]) {
      assert.equal((await a.post(url)).status, 404);
    }
    assert.equal((await find(a, email)).twoFactorEnabled, false);
    const routes = t.app.printRoutes({ commonPrefix: false });
    assert.ok(!/admin[^\n]*2fa[^\n]*(enable|setup)/.test(routes));
  });

  it("shows each user's groups on their row, by name, and [] for none", async () => {
    const { c: a } = await account('admin', 'admin');
    const member = uniqueEmail('member');
    const loner = uniqueEmail('loner');
    await seedUser(t.s, member);
    await seedUser(t.s, loner);
    const suffix = uniqueEmail('g')
      .split('@')[0]!
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '');
    for (const name of [`zeta-${suffix}`, `alpha-${suffix}`]) {
      const group = await a.post('/api/admin/groups', { name });
      assert.equal(group.status, 201, JSON.stringify(group.body));
      assert.equal((await a.post(`/api/admin/groups/${group.body.id}/members`, { email: member })).status, 201);
    }
    assert.deepEqual((await find(a, member)).groups, [`alpha-${suffix}`, `zeta-${suffix}`]);
    assert.deepEqual((await find(a, loner)).groups, []);
  });

  it('blocks and unblocks; a blocked user loses sessions and is answered as a wrong password is, right password or not; roles change', async () => {
    const { c: a } = await account('admin', 'admin');
    const { email, c: m } = await account('member');
    const member = await find(a, email);
    const blocked = await a.patch(`/api/admin/users/${member.id}`, { blocked: true });
    assert.equal(blocked.body.blocked, true);
    assert.equal((await m.get('/api/session')).status, 401, 'sessions ended');
    // The right password and a wrong one get the same answer: a block does not confirm a password.
    const refused = await t.client().signIn(email);
    const wrong = await t.client().signIn(email, 'wrong-password-123');
    assert.deepEqual([refused.status, refused.body], [401, wrong.body]);
    assert.equal(wrong.body.error, 'invalid_credentials');
    await a.patch(`/api/admin/users/${member.id}`, { blocked: false });
    assert.equal((await t.client().signIn(email)).status, 200);

    const promoted = await a.patch(`/api/admin/users/${member.id}`, { role: 'admin' });
    assert.equal(promoted.body.role, 'admin');
    assert.equal((await a.patch(`/api/admin/users/${member.id}`, { role: 'user' })).body.role, 'user');
  });

  it('keeps the last active administrator, and nobody blocks or demotes themselves', async () => {
    // "The last" is about the whole database, so this test has one of its own with one admin.
    const own = await suite.createDatabase();
    const solo = await suite.startApp({ url: own.url });
    const email = uniqueEmail('root');
    await seedUser(solo.s, email, 'admin');
    const a = solo.client();
    await a.signIn(email);
    await a.stepUp();
    const root = (await a.get(`/api/admin/users?q=${encodeURIComponent(email)}`)).body.users[0];
    // Nobody blocks or demotes themselves (the session doing it would lose the way back).
    for (const patch of [{ role: 'user' }, { blocked: true }]) {
      const r = await a.patch(`/api/admin/users/${root.id}`, patch);
      assert.equal(r.status, 409, JSON.stringify(patch));
      assert.equal(r.body.error, 'cannot_change_self');
    }
    assert.equal((await a.patch(`/api/admin/users/${root.id}`, { role: 'admin', blocked: false })).status, 200, 'a patch changing nothing is no harm');
    // Whoever else asks (here the command line), the last active administrator stays one.
    const row = (await solo.s.users.findByEmail(email))!;
    for (const patch of [{ role: 'user' as const }, { blocked: true }]) {
      await assert.rejects(solo.s.users.update(row, patch, 'cli', null), (error: { code?: string }) => error.code === 'last_admin', JSON.stringify(patch));
    }
    // With a second administrator, the first may be demoted by that one.
    const deputy = uniqueEmail('deputy');
    await seedUser(solo.s, deputy, 'admin');
    const d = solo.client();
    await d.signIn(deputy);
    await d.stepUp();
    assert.equal((await d.patch(`/api/admin/users/${root.id}`, { role: 'user' })).body.role, 'user');
    // Two administrators demoting each other at the same instant: one of them stays.
    const third = uniqueEmail('third');
    await seedUser(solo.s, third, 'admin');
    const th = solo.client();
    await th.signIn(third);
    await th.stepUp();
    const idOf = async (who: string) => (await d.get(`/api/admin/users?q=${encodeURIComponent(who)}`)).body.users[0].id as string;
    const [deputyId, thirdId] = [await idOf(deputy), await idOf(third)];
    const race = await Promise.all([d.patch(`/api/admin/users/${thirdId}`, { role: 'user' }), th.patch(`/api/admin/users/${deputyId}`, { role: 'user' })]);
    // Whichever comes second is refused: demoted already (403, decided on every request), or,
    // when both are inside the change at once, the last administrator (409).
    assert.equal(race.filter((r) => r.status === 200).length, 1, JSON.stringify(race.map((r) => r.body)));
    const refused = race.find((r) => r.status !== 200)!;
    assert.ok(['forbidden', 'last_admin'].includes(refused.body.error), JSON.stringify(refused.body));
    const admins = await solo.s.db.selectFrom('users').select('email').where('role', '=', 'admin').where('blocked', '=', 0).execute();
    assert.equal(admins.length, 1, 'exactly one administrator left');
  });

  it('finds users by email prefix and pages through all of them exactly once, while users are added', async () => {
    // A prefix of this test's own: the database holds other tests' accounts too.
    const prefix = `${uniqueEmail('pg').split('@')[0]}-`;
    for (let i = 0; i < 23; i++) {
      clock.advance(1);
      await seedUser(t.s, `${prefix}${String(i).padStart(2, '0')}@paging.example`);
    }
    const { c: a } = await account('admin', 'admin');
    const seen: string[] = [];
    let cursor: string | null = null;
    let added = 0;
    do {
      const r: { body: { users: Array<{ email: string }>; nextCursor: string | null } } = await a.get(
        `/api/admin/users?q=${prefix}&limit=5${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...r.body.users.map((u) => u.email));
      cursor = r.body.nextCursor;
      if (added < 2) {
        clock.advance(1);
        await seedUser(t.s, `${prefix}late-${added++}@paging.example`);
      }
    } while (cursor);
    assert.equal(seen.length, new Set(seen).size, 'no duplicates');
    assert.equal(seen.length, 25, 'every user, including those added while paging');
    assert.equal((await a.get(`/api/admin/users?q=${prefix}07`)).body.users.length, 1);
    assert.equal((await a.get(`/api/admin/users?q=${prefix.toUpperCase()}07@PAGING`)).body.users.length, 1, 'case-insensitive');
    assert.equal((await a.get('/api/admin/users?q=paging.example')).body.users.length, 0, 'a prefix search');
    assert.equal((await a.get('/api/admin/users?q=%25')).body.users.length, 0, '% is literal');
    assert.equal((await a.get('/api/admin/users?cursor=garbage')).status, 400);
  });

  it('prunes audit events older than the retention', async () => {
    const { pruneAuditEvents, insertAuditEvent } = await import('../audit/audit.repository.js');
    await insertAuditEvent(t.s.db, { kind: 'test.ancient' }, clock.now() - 400 * DAY);
    await insertAuditEvent(t.s.db, { kind: 'test.recent' }, clock.now() - 364 * DAY);
    const removed = await pruneAuditEvents(t.s.db, clock.now() - 365 * DAY);
    assert.equal(removed, 1);
    const kinds = (await t.s.db.selectFrom('audit_events').select('kind').execute()).map((e) => e.kind);
    assert.ok(!kinds.includes('test.ancient') && kinds.includes('test.recent'), 'only the old one went');
  });

  it('pages the audit log newest first and filters it', async () => {
    const { c: a } = await account('admin', 'admin');
    const email = uniqueEmail('audited');
    await seedUser(t.s, email);
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      assert.equal((await t.client().signIn(email, 'wrong-password-123')).status, 401);
    }
    clock.advance(1000);
    assert.equal((await t.client().signIn(email)).status, 200);

    const query = `account=${encodeURIComponent(email)}&limit=3`;
    const page1 = (await a.get(`/api/admin/audit?${query}`)).body;
    assert.equal(page1.events.length, 3);
    const page2 = (await a.get(`/api/admin/audit?${query}&cursor=${page1.nextCursor}`)).body;
    assert.equal(page2.nextCursor, null);
    const events: Array<{ id: string; at: string; kind: string }> = [...page1.events, ...page2.events];
    assert.deepEqual(
      events.map((e) => e.kind),
      ['sign_in.succeeded', 'sign_in.failed', 'sign_in.failed', 'sign_in.failed', 'user.created'],
    );
    assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'no event on two pages');
    for (let i = 1; i < events.length; i++) assert.ok(events[i - 1]!.at > events[i]!.at, 'newest first');
    assert.equal(events[0]!.at, new Date(clock.now()).toISOString());

    const failed = (await a.get(`/api/admin/audit?kind=sign_in.failed&account=${encodeURIComponent(email)}`)).body.events;
    assert.equal(failed.length, 3);
    assert.ok(failed.every((e: { kind: string; details: { reason: string } }) => e.kind === 'sign_in.failed' && e.details.reason === 'wrong_password'));
  });
});
