// Administration over HTTP: users, attempt limits and unlocks, settings, audit; on both databases.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, type TestDatabase } from '../../test-support/databases.js';
import { Client, STRONG_PASSWORD, seedUser, startTestApp, type TestApp } from '../../test-support/harness.js';
import { phoneCode } from '../../test-support/authenticator.js';

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

for (const dialect of DIALECTS) {
  describe(`administration on ${dialect.name}`, { skip: dialect.skip }, () => {
    let database: TestDatabase;
    let t: TestApp;
    let now = Date.UTC(2026, 10, 29, 10, 0, 3);
    /** An administrator's session, stepped up (the admin actions that weaken need it). */
    const admin = async () => {
      const c = new Client(t.app);
      await c.signIn('root@example.com');
      assert.equal((await c.stepUp()).status, 204);
      return c;
    };

    before(async () => {
      database = await dialect.create();
      t = await startTestApp({ url: database.url, clock: () => now });
      await seedUser(t.s, 'root@example.com', 'admin');
      await seedUser(t.s, 'member@example.com', 'user');
    });
    after(async () => {
      await t?.close();
      await database?.drop();
    });

    it('refuses every admin route to an anonymous caller (401) and to a user (403)', async () => {
      const member = new Client(t.app);
      await member.signIn('member@example.com');
      for (const [method, url, body] of ADMIN_ROUTES) {
        const anonymous = await new Client(t.app).call(method, url, body);
        assert.equal(anonymous.status, 401, `${method} ${url}`);
        assert.equal(anonymous.body.error, 'unauthenticated');
        const user = await member.call(method, url, body);
        assert.equal(user.status, 403, `${method} ${url}`);
        assert.equal(user.body.error, 'forbidden');
      }
    });

    it('creates users: duplicate 409, weak 400, bad role 400', async () => {
      const c = await admin();
      const created = await c.post('/api/admin/users', { email: 'New.Person@Example.com', password: STRONG_PASSWORD, role: 'user' });
      assert.equal(created.status, 201);
      assert.equal(created.body.email, 'new.person@example.com');
      assert.equal(created.body.twoFactorEnabled, false);
      assert.equal(created.body.blocked, false);
      assert.equal(created.body.lockedUntil, null);
      assert.ok(!('password_hash' in created.body) && !JSON.stringify(created.body).includes('argon2'));
      assert.equal((await c.post('/api/admin/users', { email: 'new.person@example.com', password: STRONG_PASSWORD, role: 'user' })).body.error, 'email_taken');
      const weak = await c.post('/api/admin/users', { email: 'weak@example.com', password: 'password123', role: 'user' });
      assert.equal(weak.status, 400);
      assert.equal(weak.body.error, 'weak_password');
      assert.equal((await c.post('/api/admin/users', { email: 'role@example.com', password: STRONG_PASSWORD, role: 'owner' })).body.error, 'invalid_request');
      assert.equal((await new Client(t.app).signIn('new.person@example.com')).status, 200);
    });

    it('saves settings, refuses invalid ones whole, and audits the change', async () => {
      const c = await admin();
      assert.deepEqual((await c.get('/api/admin/settings/authentication')).body, { passwordAttempts: 5, codeAttempts: 5, lockoutSeconds: 600, require2fa: 'off', require2faGraceDays: 7 });
      for (const bad of [{ passwordAttempts: 0 }, { codeAttempts: 101 }, { lockoutSeconds: 59 }, { passwordAttempts: 2.5 }, { passwordAttempts: '3' }, { passwordAttempts: 3, lockoutSeconds: 90000 }, { other: 1 }]) {
        const r = await c.put('/api/admin/settings/authentication', bad);
        assert.equal(r.status, 400, JSON.stringify(bad));
        assert.equal(r.body.error, 'invalid_request');
      }
      assert.equal((await c.get('/api/admin/settings/authentication')).body.passwordAttempts, 5, 'nothing changed');
      const saved = await c.put('/api/admin/settings/authentication', { passwordAttempts: 3, codeAttempts: 3 });
      assert.equal(saved.status, 200);
      assert.deepEqual(saved.body, { passwordAttempts: 3, codeAttempts: 3, lockoutSeconds: 600, require2fa: 'off', require2faGraceDays: 7 });
      const audit = await c.get('/api/admin/audit?kind=settings.changed');
      assert.equal(audit.body.events[0].actor.email, 'root@example.com');
      assert.deepEqual(audit.body.events[0].details.changed.passwordAttempts, { from: 5, to: 3 });
    });

    it('filters the audit log by time (from inclusive, to exclusive); users see only their own events', async () => {
      const a = await admin();
      const m = new Client(t.app);
      now += 60_000;
      const at = now;
      await m.signIn('member@example.com');
      const iso = (ms: number) => new Date(ms).toISOString();
      const kindsIn = async (query: string) =>
        (await a.get(`/api/admin/audit?account=member@example.com&kind=sign_in.succeeded&${query}`)).body.events.map((e: { at: string }) => e.at);
      assert.deepEqual(await kindsIn(`from=${encodeURIComponent(iso(at))}`), [iso(at)]);
      assert.deepEqual(await kindsIn(`from=${at + 1}`), []);
      assert.ok(!(await kindsIn(`to=${encodeURIComponent(iso(at))}`)).includes(iso(at)), 'to is exclusive');
      assert.equal((await a.get('/api/admin/audit?from=yesterday')).body.error, 'invalid_request');

      const own = await m.get('/api/me/security-events');
      assert.equal(own.status, 200);
      assert.ok(own.body.events.length > 0);
      for (const e of own.body.events) assert.equal(e.subject.email, 'member@example.com', 'only events about the member');
      assert.ok(!own.body.events.some((e: { kind: string }) => e.kind === 'settings.changed'));
      assert.equal((await m.get('/api/me/security-events?limit=500')).status, 400);
      assert.equal((await m.get('/api/me/security-events?kind=x')).status, 400, 'no other filters');
      assert.equal((await new Client(t.app).get('/api/me/security-events')).status, 401);
    });

    it('locks after three wrong passwords; the admin sees the lock and unlocks; a success resets the count', async () => {
      const c = new Client(t.app);
      for (let i = 0; i < 2; i++) assert.equal((await c.signIn('member@example.com', 'wrong-password-123')).status, 401);
      assert.equal((await c.signIn('member@example.com')).status, 200, 'a success resets the count');
      for (let i = 0; i < 3; i++) assert.equal((await c.signIn('member@example.com', 'wrong-password-123')).status, 401);
      const locked = await c.signIn('member@example.com');
      assert.equal(locked.status, 429);
      assert.equal(locked.body.error, 'locked');
      assert.equal(locked.headers['retry-after'], '600');
      assert.equal(locked.body.retryAfterSeconds, 600);

      const a = await admin();
      const listed = (await a.get('/api/admin/users?q=member')).body.users[0];
      assert.equal(listed.lockedUntil, new Date(now + 600_000).toISOString());
      assert.equal((await a.post(`/api/admin/users/${listed.id}/unlock`)).status, 204);
      assert.equal((await c.signIn('member@example.com')).status, 200);
      assert.equal((await a.post('/api/admin/users/00000000-0000-0000-0000-000000000000/unlock')).status, 404);
      const kinds = (await a.get(`/api/admin/audit?account=member@example.com`)).body.events.map((e: { kind: string }) => e.kind);
      assert.ok(kinds.includes('account.locked') && kinds.includes('account.unlocked'));
    });

    it('lifts a lock by itself when lockoutSeconds have passed', async () => {
      const c = new Client(t.app);
      for (let i = 0; i < 3; i++) await c.signIn('member@example.com', 'wrong-password-123');
      assert.equal((await c.signIn('member@example.com')).status, 429);
      now += 601_000;
      assert.equal((await c.signIn('member@example.com')).status, 200);
    });

    it('counts wrong passwords on password change and 2FA disable too', async () => {
      await seedUser(t.s, 'reauth@example.com');
      const c = new Client(t.app);
      await c.signIn('reauth@example.com');
      await c.stepUp();
      for (let i = 0; i < 3; i++) {
        const r = await c.post('/api/me/password', { currentPassword: 'wrong-password-123', newPassword: 'another-long-password-77' });
        assert.equal(r.status, 401);
      }
      const locked = await c.post('/api/me/password', { currentPassword: STRONG_PASSWORD, newPassword: 'another-long-password-77' });
      assert.equal(locked.status, 429);
      now += 601_000;
    });

    it('locks the second step after three wrong codes, and new sign-ins with it; marks 2FA; admin disables 2FA', async () => {
      await seedUser(t.s, 'phone@example.com');
      const u = new Client(t.app);
      await u.signIn('phone@example.com');
      await u.stepUp();
      const key = (await u.post('/api/me/2fa/setup')).body.key as string;
      assert.equal((await u.post('/api/me/2fa/enable', { code: phoneCode(key, now) })).status, 200);
      await u.delete('/api/session');
      await u.signIn('phone@example.com');
      const wrong = phoneCode(key, now) === '000000' ? '111111' : '000000';
      // Each refusal says how many tries remain before the lock (codeAttempts is 3 here).
      const left: number[] = [];
      for (let i = 0; i < 3; i++) {
        const refused = await u.post('/api/session/second-factor', { code: wrong });
        assert.equal(refused.status, 401);
        left.push(refused.body.attemptsLeft);
      }
      assert.deepEqual(left, [2, 1, 0]);
      assert.equal((await u.post('/api/session/second-factor', { code: phoneCode(key, now + 30_000) })).status, 429);
      assert.equal((await new Client(t.app).signIn('phone@example.com')).status, 429);

      const a = await admin();
      const row = (await a.get('/api/admin/users?q=phone@')).body.users[0];
      assert.equal(row.twoFactorEnabled, true);
      assert.ok(row.lockedUntil);
      await a.post(`/api/admin/users/${row.id}/unlock`);
      assert.equal((await a.post(`/api/admin/users/${row.id}/2fa/disable`)).status, 204);
      assert.equal((await a.post(`/api/admin/users/${row.id}/2fa/disable`)).body.error, 'not_enabled');
      assert.equal((await a.post('/api/admin/users/00000000-0000-0000-0000-000000000000/2fa/disable')).status, 404);
      assert.equal((await new Client(t.app).signIn('phone@example.com')).body.status, 'authenticated', 'password alone now');
      const event = (await a.get('/api/admin/audit?kind=2fa.disabled&account=phone@example.com')).body.events[0];
      assert.equal(event.actor.email, 'root@example.com');
      assert.equal(event.subject.email, 'phone@example.com');
      assert.equal(event.details.by, 'admin');
    });

    it('offers no way to enable 2FA for another account', async () => {
      const a = await admin();
      const member = (await a.get('/api/admin/users?q=member')).body.users[0];
      for (const body of [{ twoFactorEnabled: true }, { blocked: false, twoFactorEnabled: true }, { totpSecret: 'JBSWY3DPEHPK3PXP' }]) {
        assert.equal((await a.patch(`/api/admin/users/${member.id}`, body)).status, 400);
      }
      for (const url of [`/api/admin/users/${member.id}/2fa/enable`, `/api/admin/users/${member.id}/2fa/setup`, `/api/admin/users/${member.id}/2fa`]) {
        assert.equal((await a.post(url)).status, 404);
      }
      assert.equal((await a.get('/api/admin/users?q=member')).body.users[0].twoFactorEnabled, false);
      const routes = t.app.printRoutes({ commonPrefix: false });
      assert.ok(!/admin[^\n]*2fa[^\n]*(enable|setup)/.test(routes));
    });

    it('blocks and unblocks; a blocked user gets 403 blocked and loses sessions; the last admin stays', async () => {
      const a = await admin();
      const m = new Client(t.app);
      await m.signIn('member@example.com');
      const member = (await a.get('/api/admin/users?q=member')).body.users[0];
      const blocked = await a.patch(`/api/admin/users/${member.id}`, { blocked: true });
      assert.equal(blocked.body.blocked, true);
      assert.equal((await m.get('/api/session')).status, 401, 'sessions ended');
      const refused = await new Client(t.app).signIn('member@example.com');
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error, 'blocked');
      assert.equal((await new Client(t.app).signIn('member@example.com', 'wrong-password-123')).body.error, 'invalid_credentials', 'wrong password reveals nothing');
      await a.patch(`/api/admin/users/${member.id}`, { blocked: false });
      assert.equal((await new Client(t.app).signIn('member@example.com')).status, 200);

      const root = (await a.get('/api/admin/users?q=root@')).body.users[0];
      // Nobody blocks or demotes themselves (whether or not they are the last administrator).
      for (const patch of [{ role: 'user' }, { blocked: true }]) {
        const self = await a.patch(`/api/admin/users/${root.id}`, patch);
        assert.equal(self.status, 409);
        assert.equal(self.body.error, 'cannot_change_self');
      }
      assert.equal((await a.get('/api/admin/users?q=root@')).body.users[0].role, 'admin', 'unchanged');
      assert.equal((await a.patch(`/api/admin/users/${root.id}`, { role: 'admin', blocked: false })).status, 200, 'a patch changing nothing is no harm');
      const promoted = await a.patch(`/api/admin/users/${member.id}`, { role: 'admin' });
      assert.equal(promoted.body.role, 'admin');
      assert.equal((await a.patch(`/api/admin/users/${member.id}`, { role: 'user' })).body.role, 'user');
    });

    it('finds users by email prefix and pages through all of them exactly once, while users are added', async () => {
      for (let i = 0; i < 23; i++) {
        now += 1;
        await seedUser(t.s, `pg-${String(i).padStart(2, '0')}@paging.example`);
      }
      const a = await admin();
      const seen: string[] = [];
      let cursor: string | null = null;
      let added = 0;
      do {
        const r: { body: { users: Array<{ email: string }>; nextCursor: string | null } } = await a.get(`/api/admin/users?q=pg-&limit=5${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...r.body.users.map((u) => u.email));
        cursor = r.body.nextCursor;
        if (added < 2) {
          now += 1;
          await seedUser(t.s, `pg-late-${added++}@paging.example`);
        }
      } while (cursor);
      assert.equal(seen.length, new Set(seen).size, 'no duplicates');
      assert.equal(seen.length, 25, 'every user, including those added while paging');
      assert.equal((await a.get('/api/admin/users?q=pg-07')).body.users.length, 1);
      assert.equal((await a.get('/api/admin/users?q=PG-07@PAGING')).body.users.length, 1, 'case-insensitive');
      assert.equal((await a.get('/api/admin/users?q=paging.example')).body.users.length, 0, 'a prefix search');
      assert.equal((await a.get('/api/admin/users?q=%25')).body.users.length, 0, '% is literal');
      assert.equal((await a.get('/api/admin/users?cursor=garbage')).status, 400);
    });

    it('prunes audit events older than the retention', async () => {
      const { pruneAuditEvents, insertAuditEvent } = await import('../audit/audit.repository.js');
      await insertAuditEvent(t.s.db, { kind: 'test.ancient' }, now - 400 * 86_400_000);
      const removed = await pruneAuditEvents(t.s.db, now - 365 * 86_400_000);
      assert.equal(removed, 1);
      const kinds = (await t.s.db.selectFrom('audit_events').select('kind').execute()).map((e) => e.kind);
      assert.ok(!kinds.includes('test.ancient') && kinds.length > 0, 'only the old one went');
    });

    it('pages the audit log newest first and filters it', async () => {
      const a = await admin();
      const page1 = (await a.get('/api/admin/audit?limit=3')).body;
      assert.equal(page1.events.length, 3);
      const page2 = (await a.get(`/api/admin/audit?limit=3&cursor=${page1.nextCursor}`)).body;
      assert.ok(page1.events[2].at >= page2.events[0].at);
      assert.ok(!page2.events.some((e: { id: string }) => page1.events.some((f: { id: string }) => f.id === e.id)));
      const failed = (await a.get('/api/admin/audit?kind=sign_in.failed&limit=200')).body.events;
      assert.ok(failed.length > 0 && failed.every((e: { kind: string }) => e.kind === 'sign_in.failed'));
      assert.ok(failed.some((e: { details: { reason: string } }) => e.details.reason === 'wrong_password'));
    });
  });
}
