// Account removal (issue 31) over HTTP, with a real SMTP server and a real back-channel receiver, on
// SQLite and PostgreSQL: an administrator deletes an account (step-up, the email typed as
// confirmation), and so may its owner when the settings allow it. What must go goes (sessions at
// once, grants, factors, devices, memberships, counters, the row), what must stay stays (the audit
// events, with no secret; the back-channel logouts, which then go out), the last administrator is
// kept, bad input changes nothing, and the address can be given an account again.
import { after, before, beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { type Client, enrolTwoFactor, seedUser, STRONG_PASSWORD, type TestApp, uniqueEmail } from '../../test-support/harness.js';
import type { TestSmtp } from '../../test-support/smtp.js';
import { startMailingApp, stopMailingApp } from '../../test-support/mailing-app.js';
import { hashSessionToken } from '../../crypto/tokens.js';
import { markEndedSessionsDue } from '../oidc/backchannel.repository.js';

const NOBODY = '00000000-0000-0000-0000-000000000000';

/** An application's back-channel logout endpoint: the `sub` of every logout token it is POSTed. */
async function startReceiver() {
  const subjects: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token') ?? '';
      const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString() || '{}') as { sub?: string };
      if (payload.sub) subjects.push(payload.sub);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel`,
    subjects,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describeOnEachDialect('account removal', { resetSettings: true }, (suite) => {
  let smtp: TestSmtp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let t: TestApp;
  let admin: Client;
  let adminEmail: string;

  before(async () => {
    receiver = await startReceiver();
    ({ smtp, t } = await startMailingApp(suite));
  });
  after(async () => {
    await stopMailingApp({ smtp, t });
    await receiver?.stop();
  });
  beforeEach(async () => {
    adminEmail = uniqueEmail('admin');
    await seedUser(t.s, adminEmail, 'admin');
    admin = t.client();
    assert.equal((await admin.signIn(adminEmail)).status, 200);
    assert.equal((await admin.stepUp()).status, 204);
  });

  /** A person of this test's own, signed in (a full sign-in: a trusted device too). */
  async function person(label: string, role: 'admin' | 'user' = 'user') {
    const email = uniqueEmail(label);
    const id = (await seedUser(t.s, email, role)).id;
    const c = t.client();
    assert.equal((await c.signIn(email)).status, 200);
    return { email, id, c };
  }

  /** How many rows each table holds for the account: every table that names a user id. */
  async function rowsOf(id: string) {
    const db = t.s.db;
    const count = async (rows: Promise<unknown[]>) => (await rows).length;
    return {
      users: await count(db.selectFrom('users').select('id').where('id', '=', id).execute()),
      sessions: await count(db.selectFrom('sessions').select('token_hash').where('user_id', '=', id).execute()),
      two_factor: await count(db.selectFrom('two_factor').select('user_id').where('user_id', '=', id).execute()),
      backup_codes: await count(db.selectFrom('backup_codes').select('id').where('user_id', '=', id).execute()),
      webauthn_credentials: await count(db.selectFrom('webauthn_credentials').select('id').where('user_id', '=', id).execute()),
      webauthn_challenges: await count(db.selectFrom('webauthn_challenges').select('challenge').where('user_id', '=', id).execute()),
      trusted_devices: await count(db.selectFrom('trusted_devices').select('id').where('user_id', '=', id).execute()),
      sign_in_warnings: await count(db.selectFrom('sign_in_warnings').select('user_id').where('user_id', '=', id).execute()),
      password_reset_tokens: await count(db.selectFrom('password_reset_tokens').select('token_hash').where('user_id', '=', id).execute()),
      email_changes: await count(db.selectFrom('email_changes').select('id').where('user_id', '=', id).execute()),
      group_members: await count(db.selectFrom('group_members').select('group_id').where('user_id', '=', id).execute()),
      access_rule_subjects: await count(db.selectFrom('access_rule_subjects').select('rule_id').where('user_id', '=', id).execute()),
      oidc_payloads: await count(db.selectFrom('oidc_payloads').select('id').where('account_id', '=', id).execute()),
      attempt_counters: await count(
        db
          .selectFrom('attempt_counters')
          .select('key')
          .where((eb) => eb.or([eb('key', '=', `u:${id}`), eb('key', 'like', `u:${id}/%`)]))
          .execute(),
      ),
    };
  }

  /** Gives the account something in every table that can hold it: factors, a device, a group, a rule, a grant… */
  async function furnish(p: { email: string; id: string; c: Client }, alsoAllowed: string[] = []) {
    const { db } = t.s;
    const now = suite.clock.now();
    assert.equal((await t.client().signIn(p.email, 'wrong-password-123')).status, 401, 'a failure: the account has a counter');
    const enrolment = await enrolTwoFactor(p.c);
    assert.equal((await p.c.post('/api/me/webauthn/register/options')).status, 200, 'a challenge of its own (the session is stepped up)');
    await db
      .insertInto('webauthn_credentials')
      .values({
        id: randomUUID(),
        user_id: p.id,
        name: 'YubiKey',
        public_key: 'AAAA',
        counter: 0,
        transports: '[]',
        device_type: 'singleDevice',
        backed_up: 0,
        created_at: now,
        last_used_at: null,
      })
      .execute();
    const warning = { failedCodeAttempts: 1, locks: 0, lastAt: new Date(now).toISOString(), lastAddress: null };
    await db
      .insertInto('sign_in_warnings')
      .values({ user_id: p.id, warning: JSON.stringify(warning), created_at: now })
      .execute();
    await db
      .insertInto('email_changes')
      .values({
        id: randomUUID(),
        user_id: p.id,
        old_email: p.email,
        new_email: uniqueEmail('new'),
        confirm_token_hash: randomUUID(),
        undo_token_hash: null,
        created_at: now,
        expires_at: now + 86_400_000,
        confirmed_at: null,
        undo_until: null,
        undone_at: null,
        cancelled_at: null,
      })
      .execute();
    assert.equal((await t.client().post('/api/password-reset', { email: p.email })).status, 202);
    const group = await admin.post('/api/admin/groups', { name: `team-${randomUUID().slice(0, 8)}` });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    assert.equal((await admin.post(`/api/admin/groups/${group.body.id}/members`, { email: p.email })).status, 201);
    const host = `app-${randomUUID().slice(0, 8)}.example.com`;
    assert.equal((await admin.post('/api/admin/access/rules', { host, allow: [`user:${p.email}`, ...alsoAllowed.map((e) => `user:${e}`)] })).status, 201);
    // An application this session signed in to, with a grant: the provider's rows, and the link its logout follows.
    const application = await admin.post('/api/admin/applications', {
      name: 'Wiki',
      redirectUris: ['http://127.0.0.1:9/callback'],
      backchannelLogoutUri: receiver.url,
    });
    assert.equal(application.status, 201, JSON.stringify(application.body));
    const clientId = application.body.client_id as string;
    const grantId = randomUUID();
    const payload = (model: string, id: string, grant: string | null) => ({
      model,
      id,
      payload: '{}',
      grant_id: grant,
      uid: null,
      user_code: null,
      account_id: p.id,
      client_id: clientId,
      expires_at: now + 3_600_000,
      consumed_at: null,
    });
    await db
      .insertInto('oidc_payloads')
      .values([payload('Grant', grantId, null), payload('RefreshToken', randomUUID(), grantId)])
      .execute();
    await db
      .insertInto('oidc_backchannel_logouts')
      .values({
        id: randomUUID(),
        session_hash: hashSessionToken(p.c.cookie!),
        client_id: clientId,
        account_id: p.id,
        sid: randomUUID(),
        status: 'waiting',
        attempts: 0,
        next_attempt_at: null,
        claimed_by: null,
        claimed_until: null,
        last_error: null,
        created_at: now,
      })
      .execute();
    return { enrolment, host, groupId: group.body.id as string };
  }

  const deleteAs = (c: Client, id: string, email: unknown) => c.post(`/api/admin/users/${id}/delete`, { email });
  const auditOf = (kind: string, subjectId: string) =>
    t.s.db.selectFrom('audit_events').selectAll().where('kind', '=', kind).where('subject_id', '=', subjectId).execute();

  it('an administrator deletes an account: sessions end at once, everything of it goes, the audit log keeps its events, a notice is mailed', async () => {
    const ana = await person('ana');
    const elsewhere = t.client();
    assert.equal((await elsewhere.signIn(ana.email)).status, 200);
    const zed = uniqueEmail('zed');
    await seedUser(t.s, zed);
    const { enrolment, host } = await furnish(ana, [zed]);
    // Asked once before, so this instance holds the rules in its cache: a deletion must move the access version.
    const ruleFor = async (email: string) =>
      (await admin.get(`/api/admin/access/check?email=${encodeURIComponent(email)}&url=${encodeURIComponent(`https://${host}/`)}`)).body.rule;
    assert.deepEqual((await ruleFor(zed)).who, [`user:${ana.email}`, `user:${zed}`].sort());
    const before = await rowsOf(ana.id);
    for (const [table, n] of Object.entries(before)) assert.ok(n > 0, `${table}: the test gave the account a row to lose`);
    const secrets = await t.s.db.selectFrom('users').select('password_hash').where('id', '=', ana.id).executeTakeFirstOrThrow();
    assert.equal((await elsewhere.get('/api/session')).status, 200, 'signed in on two browsers');
    const logoutDue = async () => {
      await markEndedSessionsDue(t.s.db, suite.clock.now(), t.s.config.sessionIdleSeconds * 1000);
      return (await t.s.db.selectFrom('oidc_backchannel_logouts').select('status').where('account_id', '=', ana.id).executeTakeFirstOrThrow()).status;
    };
    assert.equal(await logoutDue(), 'waiting', 'while the session lives, its application hears nothing');

    // Typed with other case and spaces: compared as emails are (normalised).
    const deleted = await deleteAs(admin, ana.id, `  ${ana.email.toUpperCase()} `);
    assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
    assert.equal((await ana.c.get('/api/session')).status, 401, "the deleted person's cookie is refused at once");
    assert.equal((await elsewhere.get('/api/me/2fa')).status, 401, 'on every session');
    assert.deepEqual(
      Object.entries(await rowsOf(ana.id)).filter(([, n]) => n > 0),
      [],
      'nothing of the account is left',
    );
    assert.equal((await t.client().signIn(ana.email)).body.error, 'invalid_credentials', 'the password signs nobody in');
    const rule = (await admin.get('/api/admin/access')).body.applications.find((a: { host: string }) => a.host === host);
    assert.deepEqual(rule.rules[0].who, [`user:${zed}`], 'the rule no longer names the account');
    assert.deepEqual((await ruleFor(zed)).who, [`user:${zed}`], 'nor do the cached rules: the access version moved');

    const [event] = await auditOf('user.deleted', ana.id);
    assert.ok(event, 'user.deleted is audited');
    assert.deepEqual(
      { actor: event.actor_email, subject: event.subject_email, details: JSON.parse(event.details) },
      { actor: adminEmail, subject: ana.email, details: { by: 'admin' } },
    );
    const kept = await t.s.db.selectFrom('audit_events').selectAll().where('subject_id', '=', ana.id).execute();
    assert.ok(kept.some((e) => e.kind === 'sign_in.succeeded') && kept.some((e) => e.kind === '2fa.enabled'), 'the account’s earlier events stay');
    const everything = JSON.stringify(kept);
    for (const secret of [secrets.password_hash, enrolment.key, ...enrolment.backupCodes, STRONG_PASSWORD, ana.c.cookie ?? 'no-cookie'])
      assert.ok(!everything.includes(secret), 'no secret in the audit log');

    const [mail] = await smtp.waitFor(1, { to: ana.email, subject: 'Your account was deleted' });
    assert.match(mail!.text, /^An administrator deleted your Gatehouse account with this address\./);
    assert.doesNotMatch(mail!.text, /https?:/, 'a plain notice, no link');
    // The session the application signed in through is gone: its logout goes out, about the deleted account.
    for (let i = 0; i < 100 && !receiver.subjects.includes(ana.id); i++) await sleep(50);
    assert.ok(receiver.subjects.includes(ana.id), 'the back-channel logout went out');
  });

  it('needs an administrator with a step-up; a wrong confirmation, an unknown id or a bad body changes nothing', async () => {
    const bob = await person('bob');
    const url = `/api/admin/users/${bob.id}/delete`;
    const anonymous = await t.client().post(url, { email: bob.email });
    assert.deepEqual([anonymous.status, anonymous.body.error], [401, 'unauthenticated']);
    const member = await person('member');
    assert.equal((await member.c.stepUp()).status, 204);
    const user = await member.c.post(url, { email: bob.email });
    assert.deepEqual([user.status, user.body.error], [403, 'forbidden']);
    const fresh = await person('fresh-admin', 'admin');
    const noStepUp = await fresh.c.post(url, { email: bob.email });
    assert.deepEqual([noStepUp.status, noStepUp.body.error], [403, 'reauthentication_required']);

    const wrong = await deleteAs(admin, bob.id, member.email);
    assert.deepEqual([wrong.status, wrong.body.error], [400, 'confirmation_mismatch']);
    for (const body of [{}, { email: 5 }, { email: '' }, { email: bob.email, extra: 1 }, { email: 'x'.repeat(321) }]) {
      const r = await admin.post(url, body);
      assert.deepEqual([r.status, r.body.error], [400, 'invalid_request'], JSON.stringify(body));
    }
    for (const id of [NOBODY, 'not-an-id', 'x'.repeat(65)]) {
      const r = await deleteAs(admin, id, bob.email);
      assert.equal(r.status, id.length > 64 ? 400 : 404, id);
    }
    const self = await deleteAs(admin, (await t.s.users.findByEmail(adminEmail))!.id, adminEmail);
    assert.deepEqual([self.status, self.body.error], [409, 'cannot_change_self'], 'an administrator deletes their own account as its owner');

    assert.equal((await bob.c.get('/api/session')).status, 200, 'bob is still signed in');
    assert.equal((await rowsOf(bob.id)).users, 1);
    assert.deepEqual(await auditOf('user.deleted', bob.id), []);
    // Queued with the deletion or not at all (the outbox, not the SMTP server, which may not have it yet).
    const notices = await t.s.db.selectFrom('mail_outbox').select('id').where('kind', '=', 'account_deleted').where('recipient', '=', bob.email).execute();
    assert.deepEqual(notices, [], 'no notice');
  });

  it('the owner deletes their own account only when the settings allow it: step-up, their email, the cookie cleared', async () => {
    const carla = await person('carla');
    assert.equal((await carla.c.put('/api/me/locale', { locale: 'es' })).status, 204);
    assert.equal((await carla.c.get('/api/session')).body.canDeleteAccount, false, 'the security page offers nothing');
    assert.equal((await carla.c.stepUp()).status, 204);
    const off = await carla.c.post('/api/me/delete', { email: carla.email });
    assert.deepEqual([off.status, off.body.error], [403, 'self_deletion_off']);

    assert.equal((await admin.put('/api/admin/settings/authentication', { selfDeletion: true })).status, 200);
    assert.equal((await carla.c.get('/api/session')).body.canDeleteAccount, true);
    assert.equal((await t.client().post('/api/me/delete', { email: carla.email })).status, 401);
    const other = t.client();
    assert.equal((await other.signIn(carla.email)).status, 200);
    assert.equal((await other.post('/api/me/delete', { email: carla.email })).body.error, 'reauthentication_required', 'a cookie alone deletes nothing');
    assert.equal((await carla.c.post('/api/me/delete', { email: adminEmail })).body.error, 'confirmation_mismatch');
    assert.equal((await carla.c.post('/api/me/delete', { email: carla.email, id: carla.id })).body.error, 'invalid_request');
    assert.equal((await rowsOf(carla.id)).users, 1, 'nothing changed yet');

    const done = await carla.c.post('/api/me/delete', { email: carla.email });
    assert.equal(done.status, 204, JSON.stringify(done.body));
    assert.equal(carla.c.cookie, null, 'the session cookie is cleared');
    assert.equal((await other.get('/api/session')).status, 401, 'and every other session ends');
    assert.equal((await rowsOf(carla.id)).users, 0);
    const [event] = await auditOf('user.deleted', carla.id);
    assert.deepEqual([event?.actor_id, JSON.parse(event?.details ?? '{}')], [carla.id, { by: 'self' }]);
    const [mail] = await smtp.waitFor(1, { to: carla.email, subject: 'Tu cuenta se ha eliminado' });
    assert.match(mail!.text, /como pediste en tu página de seguridad/, 'in the account’s language');
  });

  it('a deleted address can be created or invited again: a new account, with nothing of the old one', async () => {
    const dora = await person('dora');
    const { groupId } = await furnish(dora);
    assert.equal((await deleteAs(admin, dora.id, dora.email)).status, 204);
    const again = await admin.post('/api/admin/users', { email: dora.email, password: STRONG_PASSWORD, role: 'user' });
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.notEqual(again.body.id, dora.id);
    assert.deepEqual([again.body.twoFactorEnabled, again.body.groups, again.body.factors], [false, [], []]);
    assert.deepEqual((await t.s.groups.get(groupId)).members, []);

    const eve = await person('eve');
    assert.equal((await deleteAs(admin, eve.id, eve.email)).status, 204);
    const invited = await admin.post('/api/admin/invitations', { list: eve.email });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    await smtp.waitFor(1, { to: eve.email, subject: 'You are invited to Gatehouse' });
  });

  it('keeps the last active administrator, whoever asks; of two administrators deleting each other at once, one stays', async () => {
    const fresh = await suite.createDatabase();
    const lone = await suite.startApp({ url: fresh.url });
    const first = uniqueEmail('first');
    const firstRow = await seedUser(lone.s, first, 'admin');
    const second = uniqueEmail('second');
    const secondRow = await seedUser(lone.s, second, 'admin');
    await lone.s.users.update(secondRow, { blocked: true }, 'cli', null);
    await lone.s.settings.update({ selfDeletion: true });
    const c = lone.client();
    assert.equal((await c.signIn(first)).status, 200);
    assert.equal((await c.stepUp()).status, 204);
    const own = await c.post('/api/me/delete', { email: first });
    assert.deepEqual([own.status, own.body.error], [409, 'last_admin'], 'a blocked administrator does not count');
    await assert.rejects(lone.s.users.remove(firstRow, { confirmEmail: first, by: 'cli' }, 'cli', null), { code: 'last_admin' });
    assert.equal((await c.get('/api/session')).status, 200, 'still signed in');

    await lone.s.users.update(secondRow, { blocked: false }, 'cli', null);
    const other = lone.client();
    assert.equal((await other.signIn(second)).status, 200);
    assert.equal((await other.stepUp()).status, 204);
    const answers = await Promise.all([
      c.post(`/api/admin/users/${secondRow.id}/delete`, { email: second }),
      other.post(`/api/admin/users/${firstRow.id}/delete`, { email: first }),
    ]);
    assert.equal(answers.filter((a) => a.status === 204).length, 1, JSON.stringify(answers.map((a) => [a.status, a.body])));
    assert.ok(
      answers.every((a) => a.status === 204 || a.body.error === 'last_admin' || a.body.error === 'unauthenticated'),
      'the other waits and is refused',
    );
    const admins = await lone.s.db.selectFrom('users').select('email').where('role', '=', 'admin').execute();
    assert.equal(admins.length, 1);
  });
});
