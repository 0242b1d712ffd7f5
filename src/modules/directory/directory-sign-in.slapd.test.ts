// Signing in through a real slapd, over HTTP, on both databases: the directory's password (by
// email or login name), 2FA on top, a renamed email keeping it, attempt limits that spare the
// directory's own lockout (ppolicy), a person disabled or deleted there refused and their open
// session ended by a sync, nested groups reaching an access rule, and the directory going down
// and coming back while local accounts sign in.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { type Client, enrolTwoFactor, seedUser, type TestApp, uniqueEmail } from '../../test-support/harness.js';
import { phoneCode } from '../../test-support/authenticator.js';
import { groupDn, groupLdif, personDn, personLdif, SERVICE_DN, type Slapd, skipWithoutSlapd, startSlapd, SUFFIX } from '../../test-support/slapd.js';
import { DirectorySync } from './directory-sync.service.js';

const skip = skipWithoutSlapd();
const PUBLIC = { GATEHOUSE_PUBLIC_URL: 'http://login.example.com', GATEHOUSE_TRUST_PROXY: '127.0.0.1' };
let people = 0;

/** An app's settings for this slapd: plain ldap:// on loopback, the directory's threshold (4) given. */
function envOf(slapd: Slapd): Record<string, string> {
  return {
    ...PUBLIC,
    GATEHOUSE_LDAP_URL: slapd.url,
    GATEHOUSE_LDAP_STARTTLS: '0',
    GATEHOUSE_LDAP_BIND_DN: SERVICE_DN,
    GATEHOUSE_LDAP_BIND_PASSWORD_FILE: slapd.servicePasswordFile,
    GATEHOUSE_LDAP_BASE_DN: SUFFIX,
    GATEHOUSE_LDAP_LOCKOUT_THRESHOLD: '4',
    GATEHOUSE_LDAP_TIMEOUT_MS: '2000',
    GATEHOUSE_LDAP_SYNC_INTERVAL: '0',
  };
}

describeOnEachDialect(
  (dialect) => `sign-in through the directory (${dialect})`,
  { resetSettings: { passwordAttempts: 3 }, skip },
  (suite) => {
    let slapd: Slapd;
    let t: TestApp;
    before(async () => {
      // pwdMaxFailure 4: one more than Gatehouse's 3, so only Gatehouse's own limit may ever lock.
      slapd = await startSlapd({ maxFailure: 4 });
      t = await suite.startApp({ env: envOf(slapd) });
      await t.s.settings.update({ passwordAttempts: 3 });
    });
    after(async () => {
      await slapd?.close();
    });

    /** A new person in the directory: their uid, email, password and DN. */
    function person(label: string, extra = '') {
      const uid = `${label}${++people}`;
      const mail = `${uid}@example.org`;
      const password = `${uid}-directory-password`;
      slapd.add(personLdif(uid, { mail, password, extra }));
      return { uid, mail, password, dn: personDn(uid) };
    }

    async function admin(): Promise<Client> {
      const email = uniqueEmail('admin');
      await seedUser(t.s, email, 'admin');
      const c = t.client();
      assert.equal((await c.signIn(email)).status, 200);
      assert.equal((await c.stepUp()).status, 204);
      return c;
    }

    it('signs in with the directory password, by email or login name; the account is made once, linked by entryUUID', async () => {
      const p = person('ana');
      const c = t.client();
      const first = await c.signIn(p.mail, p.password);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.user.email, p.mail);
      const byUid = await t.client().signIn(p.uid, p.password);
      assert.equal(byUid.status, 200);
      assert.equal(byUid.body.user.id, first.body.user.id);
      const row = await t.s.db
        .selectFrom('users')
        .select(['source', 'directory_id', 'password_hash'])
        .where('id', '=', first.body.user.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.source, 'directory');
      assert.equal(row.directory_id, slapd.read(p.dn, ['entryUUID']).entryUUID?.[0]);
      assert.equal((await t.client().signIn(p.mail, 'not-the-password')).body.error, 'invalid_credentials');
      assert.equal((await t.client().signIn('nobody@example.org', 'whatever-1')).body.error, 'invalid_credentials');
    });

    it('never binds with an empty password, and typed filter characters find nobody', async () => {
      const p = person('eve');
      assert.equal((await t.client().post('/api/session', { email: p.mail, password: '' })).status, 400);
      await assert.rejects(t.s.signIn.passwordStep(p.mail, '', null), (e: { code?: string }) => e.code === 'invalid_credentials');
      for (const typed of [`${p.uid.slice(0, 3)}*`, `*)(uid=${p.uid}`, `x)(|(uid=${p.uid})`]) {
        const answer = await t.client().signIn(typed, p.password);
        assert.equal(answer.body.error, 'invalid_credentials', typed);
      }
      assert.equal((await t.client().post('/api/session', { email: `${p.uid}\u0000`, password: p.password })).status, 400, 'NUL refused by validation');
    });

    it('an unknown name, a wrong password and a disabled person cost the same: one bind and one dummy hash', async () => {
      const p = person('max');
      const off = person('ned', 'pwdAccountLockedTime: 000001010000Z');
      const client = t.s.directory!.client;
      const binds: string[] = [];
      let hashes = 0;
      const bind = client.verifyPassword.bind(client);
      const dummy = t.s.hasher.verifyDummy.bind(t.s.hasher);
      client.verifyPassword = async (dn, password) => {
        binds.push(dn);
        return bind(dn, password);
      };
      t.s.hasher.verifyDummy = async (password) => {
        hashes++;
        return dummy(password);
      };
      try {
        for (const [typed, why] of [
          [`nobody${people}@example.org`, 'unknown'],
          [p.mail, 'wrong password'],
          [off.mail, 'disabled'],
        ] as const) {
          binds.length = 0;
          hashes = 0;
          assert.equal((await t.client().signIn(typed, 'wrong-password-9')).body.error, 'invalid_credentials', why);
          assert.equal(binds.length, 1, `${why}: one bind`);
          assert.equal(hashes, 1, `${why}: one dummy hash`);
          if (why !== 'wrong password') assert.match(binds[0]!, /^cn=gatehouse-no-such-person,/, `${why}: never the person's own DN`);
        }
        assert.equal(slapd.read(off.dn, ['pwdFailureTime']).pwdFailureTime, undefined, 'a disabled person is never bound as');
      } finally {
        client.verifyPassword = bind;
        t.s.hasher.verifyDummy = dummy;
      }
    });

    it('2FA on top of the directory password; a renamed email keeps the account and its 2FA', async () => {
      const p = person('bob');
      const c = t.client();
      const first = await c.signIn(p.mail, p.password);
      const { key } = await enrolTwoFactor(c, { password: p.password });
      suite.clock.advance(30_000);
      const pending = t.client();
      assert.equal((await pending.signIn(p.mail, p.password)).body.status, 'second_factor_required');
      assert.equal((await pending.post('/api/session/second-factor', { code: phoneCode(key, suite.clock.now()) })).status, 200);

      const renamed = `${p.uid}.new@example.org`;
      slapd.modify(`dn: ${p.dn}\nchangetype: modify\nreplace: mail\nmail: ${renamed}\n`);
      suite.clock.advance(60_000);
      const again = t.client();
      const answer = await again.signIn(renamed, p.password);
      assert.equal(answer.body.status, 'second_factor_required', JSON.stringify(answer.body));
      const done = await again.post('/api/session/second-factor', { code: phoneCode(key, suite.clock.now()) });
      assert.equal(done.status, 200);
      assert.equal(done.body.user.id, first.body.user.id);
      assert.equal(done.body.user.email, renamed);
      assert.equal(done.body.user.twoFactorEnabled, true);
    });

    it("counts wrong directory passwords on Gatehouse's limit and never lets the directory lock the person", async () => {
      const p = person('cat');
      const control = person('dan');
      assert.equal((await t.client().signIn(p.mail, p.password)).status, 200);
      for (let i = 0; i < 3; i++) assert.equal((await t.client().signIn(p.mail, `wrong-${i}`)).status, 401);
      for (let i = 0; i < 10; i++) assert.equal((await t.client().signIn(p.mail, `wrong-again-${i}`)).status, 429, 'locked before any bind');
      suite.clock.advance(601_000);
      // The lock ran out, but the run stands at 3 = threshold − 1: Gatehouse binds no more wrong passwords.
      for (let i = 0; i < 3; i++) assert.equal((await t.client().signIn(p.mail, `later-${i}`)).status, 401);
      const entry = slapd.read(p.dn, ['pwdFailureTime', 'pwdAccountLockedTime']);
      assert.equal(entry.pwdFailureTime?.length, 3, 'the directory saw exactly Gatehouse’s 3 wrong binds');
      assert.equal(entry.pwdAccountLockedTime, undefined, 'and never locked the person');

      // The control: four wrong binds straight at the directory do lock a person (ppolicy is on).
      const { DirectoryClient } = await import('./directory-client.js');
      const raw = new DirectoryClient(t.s.directory!.client.config);
      for (let i = 0; i < 4; i++) assert.equal(await raw.verifyPassword(control.dn, `wrong-${i}`), false);
      assert.ok(slapd.read(control.dn, ['pwdAccountLockedTime']).pwdAccountLockedTime, 'ppolicy locks after pwdMaxFailure');
      await raw.close();

      // An administrator's unlock in Gatehouse lets the right password through again.
      const user = (await t.s.users.findByEmail(p.mail))!;
      await t.s.users.unlock(user, 'cli', null);
      assert.equal((await t.client().signIn(p.mail, p.password)).status, 200);
      assert.equal(slapd.read(p.dn, ['pwdFailureTime']).pwdFailureTime, undefined, 'the right bind cleared the directory’s count');
    });

    it("a trusted browser's wrong password adds to the account's run: the directory still never locks", async () => {
      const p = person('ola');
      const signIn = (password: string, cookie?: string) =>
        t.app.inject({ method: 'POST', url: '/api/session', payload: { email: p.mail, password }, headers: cookie ? { cookie } : {} });
      const first = await signIn(p.password);
      const device = first.cookies.find((c) => c.name === 'gatehouse_device')?.value;
      assert.ok(device, 'the browser became a trusted device');
      for (let i = 0; i < 3; i++) assert.equal((await t.client().signIn(p.mail, `attacker-${i}`)).status, 401);
      assert.equal(slapd.read(p.dn, ['pwdFailureTime']).pwdFailureTime?.length, 3);
      // The owner's browser has its own counter (0 failures), but the person's run is at 3 = threshold − 1.
      assert.equal((await signIn('owner-typo', `gatehouse_device=${device}`)).statusCode, 401);
      assert.equal(slapd.read(p.dn, ['pwdFailureTime']).pwdFailureTime?.length, 3, 'no fourth wrong bind');
      assert.equal(slapd.read(p.dn, ['pwdAccountLockedTime']).pwdAccountLockedTime, undefined);
    });

    it('refuses a person disabled or deleted in the directory; a sync ends their open sessions and keeps their 2FA', async () => {
      const p = person('fay');
      const q = person('gus');
      const c = t.client();
      assert.equal((await c.signIn(p.mail, p.password)).status, 200);
      await enrolTwoFactor(c, { password: p.password });
      const d = t.client();
      assert.equal((await d.signIn(q.mail, q.password)).status, 200);
      assert.equal((await c.get('/api/session')).status, 200);

      slapd.modify(`dn: ${p.dn}\nchangetype: modify\nadd: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n`);
      slapd.delete(q.dn);
      assert.equal((await t.client().signIn(p.mail, p.password)).body.error, 'invalid_credentials', 'disabled: refused at sign-in');
      assert.equal((await c.get('/api/session')).status, 200, 'the open session lasts until the sync');

      const sync = new DirectorySync({ db: t.s.db, directory: t.s.directory!, users: t.s.users });
      const dry = await sync.run({ dryRun: true });
      assert.ok(dry.changes.some((x) => x.email === p.mail && x.change === 'blocked'));
      assert.equal((await c.get('/api/session')).status, 200, 'a dry run changes nothing');
      const report = await sync.run({ actor: 'cli' });
      assert.deepEqual(
        report.changes
          .filter((x) => x.email === p.mail || x.email === q.mail)
          .map((x) => [x.email, x.change, x.detail])
          .sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
        [
          [p.mail, 'blocked', 'disabled in the directory'],
          [q.mail, 'blocked', 'no longer in the directory'],
        ],
      );
      assert.equal((await c.get('/api/session')).status, 401, 'session ended');
      assert.equal((await d.get('/api/session')).status, 401, 'session ended');
      const user = (await t.s.users.findByEmail(p.mail))!;
      const twoFactor = await t.s.db.selectFrom('two_factor').select('enabled_at').where('user_id', '=', user.id).executeTakeFirst();
      assert.ok(twoFactor?.enabled_at, '2FA kept');
      assert.equal((await sync.run()).changes.filter((x) => x.email === p.mail).length, 0, 'nothing more to do');
    });

    it('nested directory groups reach an access rule; their members are read-only in Gatehouse', async () => {
      const p = person('hal');
      const outsider = person('ivy');
      const team = `team${people}`;
      const staff = `staff${people}`;
      slapd.add(groupLdif(team, [p.dn]));
      slapd.add(groupLdif(staff, [groupDn(team)]));
      const chief = await admin();
      const host = `app${people}.example.com`;
      const c = t.client();
      assert.equal((await c.signIn(p.mail, p.password)).status, 200);
      const o = t.client();
      assert.equal((await o.signIn(outsider.mail, outsider.password)).status, 200);
      assert.equal((await chief.post('/api/admin/access/rules', { host, allow: [`group:${staff}`] })).status, 201);
      const inside = await c.get('/api/verify', { 'x-original-url': `https://${host}/` });
      assert.equal(inside.status, 200);
      assert.equal(inside.headers['remote-groups'], [staff, team].sort().join(','));
      assert.equal((await o.get('/api/verify', { 'x-original-url': `https://${host}/`, accept: 'application/json' })).status, 403);

      const groups = await chief.get('/api/admin/groups');
      const group = groups.body.groups.find((g: { name: string }) => g.name === staff);
      assert.equal(group.source, 'directory');
      const add = await chief.post(`/api/admin/groups/${group.id}/members`, { email: outsider.mail });
      assert.equal(add.status, 409);
      assert.equal(add.body.error, 'directory_group');
    });

    it('directory down: local administrator signs in, directory people get directory_unavailable, /healthz says so; back after restart', async () => {
      const p = person('joy');
      const email = uniqueEmail('local');
      await seedUser(t.s, email, 'admin');
      await slapd.stop();
      try {
        assert.equal((await t.client().signIn(email)).status, 200, 'the local administrator');
        const refused = await t.client().signIn(p.mail, p.password);
        assert.equal(refused.status, 503);
        assert.equal(refused.body.error, 'directory_unavailable');
        assert.match(refused.body.message, /directory is unreachable/);
        suite.clock.advance(11_000);
        const health = await t.client().get('/healthz');
        assert.equal(health.status, 200);
        assert.equal(health.body.directory, 'unavailable');
        assert.match((await t.client().get('/metrics')).body, /^gatehouse_directory_up 0$/m);
      } finally {
        await slapd.start();
      }
      assert.equal((await t.client().signIn(p.mail, p.password)).status, 200, 'recovered');
      suite.clock.advance(11_000);
      assert.equal((await t.client().get('/healthz')).body.directory, 'ok');
      assert.match((await t.client().get('/metrics')).body, /^gatehouse_directory_up 1$/m);
    });

    it('passwords of directory accounts are managed by the directory', async () => {
      const p = person('kim');
      const c = t.client();
      assert.equal((await c.signIn(p.mail, p.password)).status, 200);
      assert.equal((await c.stepUp(p.password)).status, 204, 'step-up checks the password by a bind');
      const change = await c.post('/api/me/password', { currentPassword: p.password, newPassword: 'a-brand-new-password-77' });
      assert.equal(change.status, 409);
      assert.equal(change.body.error, 'password_managed_by_directory');
      const chief = await admin();
      const reset = await chief.post(`/api/admin/users/${(await t.s.users.findByEmail(p.mail))!.id}/password-reset`);
      assert.equal(reset.status, 409);
      assert.equal(reset.body.error, 'password_managed_by_directory');
      const asked = await t.client().post('/api/password-reset', { email: p.mail });
      assert.equal(asked.status, 202, 'the same answer as for anyone');
      const links = await t.s.db
        .selectFrom('password_reset_tokens')
        .select('user_id')
        .where('user_id', '=', (await t.s.users.findByEmail(p.mail))!.id)
        .execute();
      assert.equal(links.length, 0, 'no link for a password Gatehouse does not keep');
    });

    it('with GATEHOUSE_LDAP_PASSWORD_MODIFY=1, a person changes their directory password here (RFC 3062)', async () => {
      const p = person('mia');
      const other = await suite.startApp({ env: { ...envOf(slapd), GATEHOUSE_LDAP_PASSWORD_MODIFY: '1' } });
      const c = other.client();
      assert.equal((await c.signIn(p.mail, p.password)).status, 200);
      assert.equal((await c.stepUp(p.password)).status, 204);
      assert.equal(
        (await c.post('/api/me/password', { currentPassword: p.password, newPassword: 'password' })).body.error,
        'weak_password',
        "Gatehouse's rules first",
      );
      const changed = await c.post('/api/me/password', { currentPassword: p.password, newPassword: 'a-brand-new-directory-password-5' });
      assert.equal(changed.status, 204, JSON.stringify(changed.body));
      assert.equal((await t.client().signIn(p.mail, p.password)).status, 401, 'the old password no longer binds');
      assert.equal((await t.client().signIn(p.mail, 'a-brand-new-directory-password-5')).status, 200);
    });

    it('the periodic sync runs on its interval (injected timer) and blocks a person deleted in the directory', async () => {
      const { startPeriodicSync } = await import('./directory-sync.service.js');
      const p = person('lou');
      const c = t.client();
      assert.equal((await c.signIn(p.mail, p.password)).status, 200);
      slapd.delete(p.dn);
      let tick: (() => void) | null = null;
      let everyMs = 0;
      const logged: string[] = [];
      const stop = startPeriodicSync(
        new DirectorySync({ db: t.s.db, directory: t.s.directory!, users: t.s.users }),
        900,
        { info: (_o, m) => logged.push(m), warn: (_o, m) => logged.push(m) },
        {
          setInterval: (f, ms) => {
            tick = f;
            everyMs = ms;
            return {};
          },
          clearInterval: () => {
            tick = null;
          },
        },
      );
      assert.equal(everyMs, 900_000);
      assert.equal((await c.get('/api/session')).status, 200, 'nothing before the interval');
      tick!();
      for (let i = 0; i < 100 && logged.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.match(logged[0] ?? '', /directory sync: \d+ change/);
      assert.equal((await c.get('/api/session')).status, 401);
      stop();
      assert.equal(tick, null);
    });
  },
);
