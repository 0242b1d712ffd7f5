// Account protection (issue 13), on the fake clock, on SQLite and PostgreSQL: an attacker who knows
// the password and waits out every lock gets exactly 100 guesses in all, the locks double up to a
// day, the owner's trusted browser signs in throughout and is told afterwards.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { STRONG_PASSWORD, enrolTwoFactor, seedUser } from '../../test-support/harness.js';
import { phoneCode } from '../../test-support/authenticator.js';
import { hashSessionToken } from '../../crypto/tokens.js';

const WRONG = 'definitely-not-the-password';
const DAY_S = 86_400;

describeOnEachDialect('account protection', (suite) => {
  const { clock } = suite;
  const t = suite.app();

  /** A browser: keeps every cookie (session and device) and drops them by the app's clock. */
  class Browser {
    readonly jar = new Map<string, string>();
    constructor(private readonly app: FastifyInstance = t.app) {}
    async call(method: 'GET' | 'POST' | 'DELETE', url: string, body?: object, headers: Record<string, string> = {}) {
      const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
      const r = await this.app.inject({ method, url, ...(body ? { payload: body } : {}), headers: { ...(cookie ? { cookie } : {}), ...headers } });
      for (const c of r.cookies) {
        if (c.value === '' || (c.expires && c.expires.getTime() <= clock.now())) this.jar.delete(c.name);
        else this.jar.set(c.name, c.value);
      }
      return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : null, cookies: r.cookies };
    }
    post = (url: string, body?: object) => this.call('POST', url, body);
    signIn = (email: string, password = STRONG_PASSWORD) => this.call('POST', '/api/session', { email, password });
    code = (code: string) => this.call('POST', '/api/session/second-factor', { code });
    signOut = () => this.call('DELETE', '/api/session');
  }

  /** A user with 2FA, enrolled from `owner` (which becomes a trusted device). */
  async function enrolled(email: string): Promise<{ key: string; owner: Browser; id: string }> {
    const user = await seedUser(t.s, email);
    const owner = new Browser();
    assert.equal((await owner.signIn(email)).status, 200);
    const { key } = await enrolTwoFactor(owner, { at: clock.now() });
    assert.equal((await owner.signOut()).status, 204);
    return { key, owner, id: user.id };
  }

  /** A code that no step near now produces. */
  function wrongCode(key: string): string {
    const near = new Set(Array.from({ length: 9 }, (_, i) => phoneCode(key, clock.now() + (i - 4) * 30_000)));
    for (let n = 0; ; n++) if (!near.has(String(n).padStart(6, '0'))) return String(n).padStart(6, '0');
  }

  for (const factor of ['password', 'code'] as const) {
    it(`gives an attacker who waits out every lock exactly 100 ${factor} guesses, in locks that double up to a day, then nothing until an unlock`, async () => {
      await t.s.settings.update({ passwordAttempts: 5, codeAttempts: 5, lockoutSeconds: 600 });
      const email = `victim-${factor}@example.com`;
      const victim = factor === 'code' ? await enrolled(email) : { id: (await seedUser(t.s, email)).id, key: '' };
      let guesses = 0;
      let refusals = 0;
      const locks: number[] = [];
      let lastRefusal: { retryAfterSeconds: number; permanent?: boolean } | null = null;
      // Each round: one fresh attacker browser (no device cookie) makes one guess or is refused.
      for (let round = 0; round < 400; round++) {
        const attacker = new Browser();
        let r = await attacker.signIn(email, factor === 'password' ? WRONG : STRONG_PASSWORD);
        if (r.status === 200 && factor === 'code') r = await attacker.code(wrongCode(victim.key));
        if (r.status === 401) {
          guesses++;
          continue;
        }
        assert.equal(r.status, 429, JSON.stringify(r.body));
        refusals++;
        if (lastRefusal?.permanent) break;
        lastRefusal = r.body;
        if (r.body.permanent) continue; // once more, to see it stays
        locks.push(r.body.retryAfterSeconds);
        clock.advance(r.body.retryAfterSeconds * 1000);
      }
      assert.equal(guesses, 100);
      assert.deepEqual(locks, [600, 1200, 2400, 4800, 9600, 19200, 38400, 76800, ...Array(11).fill(DAY_S)]);
      assert.equal(lastRefusal?.permanent, true);
      // A month later, still nothing; the Users table says why.
      clock.advance(30 * DAY_S * 1000);
      assert.equal((await new Browser().signIn(email)).status, 429);
      refusals++;
      const admin = new Browser();
      await seedUser(t.s, `admin-${factor}@example.com`, 'admin');
      assert.equal((await admin.signIn(`admin-${factor}@example.com`)).status, 200);
      const listed = (await admin.call('GET', `/api/admin/users?q=victim-${factor}`)).body.users.find((u: { email: string }) => u.email === email);
      assert.equal(listed.lockedPermanently, true);
      assert.equal(listed.lockedUntil, null);
      assert.equal(
        (await admin.call('POST', `/api/admin/users/${victim.id}/unlock`)).body.error,
        'reauthentication_required',
        'lifting a lock needs a step-up',
      );
      assert.equal((await admin.call('POST', '/api/session/step-up', { password: STRONG_PASSWORD })).status, 204);
      assert.equal((await admin.call('POST', `/api/admin/users/${victim.id}/unlock`)).status, 204);

      const signedIn = new Browser();
      const after = await signedIn.signIn(email);
      assert.equal(after.status, 200);
      if (factor === 'code') assert.equal((await signedIn.code(phoneCode(victim.key, clock.now()))).status, 200);
      const events = await t.s.db.selectFrom('audit_events').selectAll().where('subject_id', '=', victim.id).execute();
      const locked = events.filter((e) => e.kind === 'account.locked').map((e) => JSON.parse(e.details));
      assert.equal(locked.length, 20);
      assert.deepEqual(locked.at(-1), { reason: `${factor}_attempts`, permanent: true });
      assert.equal(locked[1].lockNumber, 2);
      const failed = events.filter((e) => e.kind === 'sign_in.failed').map((e) => JSON.parse(e.details));
      assert.equal(failed.length, 100);
      assert.ok(failed.every((d) => d.step === factor));
      const reported = events.filter((e) => e.kind === 'account.lock_refusals').reduce((sum, e) => sum + JSON.parse(e.details).count, 0);
      assert.equal(reported, refusals, 'every refused attempt reported once, in one event per lock');
    });
  }

  it('lets the owner with a device cookie sign in at once while an attacker holds the account locked, and tells them', async () => {
    await t.s.settings.update({ passwordAttempts: 5, codeAttempts: 5, lockoutSeconds: 600 });
    const { key, owner, id } = await enrolled('owner@example.com');
    const device = owner.jar.get('gatehouse_device')!;
    assert.match(device, /^[A-Za-z0-9_-]{43}$/);
    const stored = await t.s.db.selectFrom('trusted_devices').selectAll().where('user_id', '=', id).execute();
    assert.deepEqual(
      stored.map((d) => d.token_hash),
      [hashSessionToken(device)],
      'stored only as its SHA-256',
    );
    assert.equal(Number(stored[0]!.expires_at) - Number(stored[0]!.created_at), 365 * DAY_S * 1000);

    // The attacker knows the password and guesses codes until the account is locked for good.
    clock.advance(1000);
    let wrong = 0;
    while (wrong < 100) {
      const attacker = new Browser();
      const r = await attacker.signIn('owner@example.com');
      if (r.status === 429) {
        clock.advance(r.body.retryAfterSeconds * 1000);
        continue;
      }
      if ((await attacker.code(wrongCode(key))).status === 401) wrong++;
    }
    assert.equal((await new Browser().signIn('owner@example.com')).status, 429, 'untrusted clients: stopped');
    const stranger = new Browser();
    stranger.jar.set('gatehouse_device', randomBytes(32).toString('base64url'));
    assert.equal((await stranger.signIn('owner@example.com')).status, 429, 'a made-up device cookie is no device');

    const first = await owner.signIn('owner@example.com');
    assert.equal(first.body.status, 'second_factor_required');
    const second = await owner.code(phoneCode(key, clock.now()));
    assert.equal(second.status, 200);
    assert.equal(second.body.warning.failedCodeAttempts, 100);
    assert.equal(second.body.warning.locks, 20);
    assert.equal(second.body.warning.lastAddress, '127.0.0.1');
    assert.deepEqual((await owner.call('GET', '/api/session')).body.warning, second.body.warning, 'shown until acknowledged');
    assert.equal((await owner.call('DELETE', '/api/session/warning')).status, 204);
    assert.equal((await owner.call('GET', '/api/session')).body.warning, undefined);
    // Re-authenticating counts on the device too: the owner can step up and change the password
    // while the attacker holds the account's own counter stopped for good.
    clock.advance(30_000);
    assert.equal(
      (await owner.call('POST', '/api/session/step-up', { password: STRONG_PASSWORD, code: phoneCode(key, clock.now()) })).status,
      204,
      'step-up from the trusted browser',
    );
    assert.equal((await new Browser().signIn('owner@example.com')).status, 429, 'the account stays stopped for everyone else');

    // The device's own failures lock the device only, with the same limits.
    await owner.signOut();
    clock.advance(1000);
    for (let i = 0; i < 5; i++) assert.equal((await owner.signIn('owner@example.com', WRONG)).status, 401);
    assert.equal((await owner.signIn('owner@example.com')).status, 429);
    clock.advance(600_000);
    assert.equal((await owner.signIn('owner@example.com')).status, 200);
    assert.equal((await owner.code(phoneCode(key, clock.now()))).status, 200);
    const told = (await owner.call('GET', '/api/session')).body.warning;
    assert.deepEqual([told.failedCodeAttempts, told.locks], [0, 1], 'only the device lock since the last sign-in');

    // The owner lists and revokes the device; that browser is then as untrusted as any other.
    const listed = (await owner.call('GET', '/api/me/trusted-devices')).body.devices;
    assert.equal(listed.length, 1);
    assert.equal(listed[0].current, true);
    // Removing a trusted device needs a step-up: a stolen cookie alone could otherwise strip the owner's.
    assert.equal((await owner.call('DELETE', `/api/me/trusted-devices/${listed[0].id}`)).body.error, 'reauthentication_required');
    assert.equal((await owner.call('POST', '/api/session/step-up', { password: STRONG_PASSWORD, code: phoneCode(key, clock.now() + 30_000) })).status, 204);
    assert.equal((await owner.call('DELETE', `/api/me/trusted-devices/${listed[0].id}`)).status, 204);
    assert.equal((await owner.call('DELETE', `/api/me/trusted-devices/${listed[0].id}`)).status, 404);
    assert.equal((await owner.call('DELETE', '/api/me/trusted-devices/not-an-id')).status, 404);
    await owner.signOut();
    assert.equal((await owner.signIn('owner@example.com')).status, 429);
  });

  it('sets the device cookie HttpOnly, SameSite=Lax, for a year, bound to the account', async () => {
    await seedUser(t.s, 'cookie@example.com');
    await seedUser(t.s, 'other@example.com');
    await t.s.settings.update({ passwordAttempts: 3, codeAttempts: 5, lockoutSeconds: 600 });
    const b = new Browser();
    const r = await b.signIn('cookie@example.com');
    const cookie = r.cookies.find((c) => c.name === 'gatehouse_device')!;
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');
    assert.equal(cookie.expires!.getTime(), clock.now() + 365 * DAY_S * 1000);
    // The same browser trying another account is untrusted there: that account's own lock holds.
    for (let i = 0; i < 3; i++) await new Browser().signIn('other@example.com', WRONG);
    assert.equal((await b.signIn('other@example.com')).status, 429);
    assert.equal((await b.signIn('cookie@example.com')).status, 200);
  });

  it('audits the step, keeps unknown emails hashed, names the CLI, and records redirect.refused once a minute with a count', async () => {
    await t.s.settings.update({ passwordAttempts: 5, codeAttempts: 5, lockoutSeconds: 600 });
    await new Browser().signIn('nobody-here@example.com', WRONG);
    const unknown = await t.s.db.selectFrom('audit_events').selectAll().where('kind', '=', 'sign_in.failed').where('subject_id', 'is', null).execute();
    assert.ok(unknown.length >= 1);
    for (const e of unknown) {
      assert.ok(!e.details.includes('nobody-here'), e.details);
      const d = JSON.parse(e.details);
      assert.equal(d.step, 'password');
      assert.match(d.emailHash, /^[0-9a-f]{64}$/);
    }

    const user = await seedUser(t.s, 'audited@example.com');
    await t.s.users.unlock(user, 'cli', null);
    const admin = new Browser();
    await seedUser(t.s, 'audit-admin@example.com', 'admin');
    await admin.signIn('audit-admin@example.com');
    const page = (await admin.call('GET', '/api/admin/audit?kind=account.unlocked&account=audited@example.com')).body;
    assert.equal(page.events.length, 1);
    assert.equal(page.events[0].actor, null);
    assert.equal(page.events[0].actorKind, 'cli');
    const signIns = (await admin.call('GET', '/api/admin/audit?kind=sign_in.succeeded&account=audit-admin@example.com')).body;
    assert.equal(signIns.events[0].actorKind, 'account');

    const refused = () => t.s.db.selectFrom('audit_events').selectAll().where('kind', '=', 'redirect.refused').orderBy('at').execute();
    const ask = () => t.app.inject({ method: 'GET', url: `/api/redirect-target?rd=${encodeURIComponent('https://evil.example.net/')}` });
    const before = (await refused()).length;
    for (let i = 0; i < 5; i++) assert.equal((await ask()).statusCode, 200);
    assert.equal((await refused()).length, before + 1);
    clock.advance(59_000);
    await ask();
    assert.equal((await refused()).length, before + 1, 'not twice within a minute');
    clock.advance(2_000);
    await ask();
    const events = (await refused()).slice(before);
    assert.deepEqual(
      events.map((e) => JSON.parse(e.details).count),
      [1, 6],
      'the second event counts the five refusals held back and itself',
    );
  });
});
