// Invitations by mail, received by a real SMTP server (smtp-server on a loopback port), on SQLite
// and PostgreSQL: a list invited in one go (or not at all), the mail in the chosen language, a link
// that works once and only until it expires, 2FA required from the first sign-in, groups and role
// as invited; two browsers on one link (one wins), re-sent and withdrawn links; who may invite.
import { after, before, beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { Client, enrolTwoFactor, seedUser, STRONG_PASSWORD, type TestApp, uniqueEmail } from '../../test-support/harness.js';
import { phoneCode } from '../../test-support/authenticator.js';
import { matching, type TestSmtp, tokenOf } from '../../test-support/smtp.js';
import { startMailingApp, stopMailingApp } from '../../test-support/mailing-app.js';

const CHOSEN = 'a-password-of-my-own-31';

describeOnEachDialect('invitations by mail', { resetSettings: true }, (suite) => {
  let smtp: TestSmtp;
  let t: TestApp;
  let admin: Client;

  before(async () => ({ smtp, t } = await startMailingApp(suite)));
  after(() => stopMailingApp({ smtp, t }));
  beforeEach(async () => {
    const email = uniqueEmail('admin');
    await seedUser(t.s, email, 'admin');
    admin = t.client();
    assert.equal((await admin.signIn(email)).status, 200);
    assert.equal((await admin.stepUp()).status, 204);
  });

  async function group(name: string) {
    const created = await admin.post('/api/admin/groups', { name });
    assert.ok(created.status === 201 || created.body.error === 'group_exists', JSON.stringify(created.body));
  }

  async function linkFor(email: string, subject = 'You are invited to Gatehouse'): Promise<string> {
    const [mail] = await smtp.waitFor(1, { to: email, subject });
    return tokenOf(mail!.text);
  }

  it('invites a list in Spanish into groups with 2FA required; the link sets the password, signs in, enrolment first', async () => {
    await group('family');
    await group('team');
    const ana = uniqueEmail('ana');
    const bob = uniqueEmail('bob');
    const sent = await admin.post('/api/admin/invitations', {
      list: `email,name,groups,role\n${ana},"Pérez, Ana",family,user\n${bob}`,
      groups: ['team'],
      requireTwoFactor: true,
      locale: 'es',
    });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    assert.deepEqual(
      sent.body.invitations.map((i: { email: string; link?: string }) => [i.email, i.link]),
      [
        [ana, undefined],
        [bob, undefined],
      ],
      'mailed: the links are not answered',
    );
    const [mail] = await smtp.waitFor(1, { to: ana, subject: 'Te han invitado a Gatehouse' });
    assert.match(mail!.text, /sirve una vez y durante 7 días/);
    const token = tokenOf(mail!.text);
    const stored = await t.s.db.selectFrom('invitations').select('token_hash').execute();
    assert.ok(
      stored.every((r) => r.token_hash !== token && r.token_hash.length === 64),
      'only the SHA-256 is stored',
    );
    assert.ok(
      (await t.s.db.selectFrom('mail_outbox').select('body').execute()).every((r) => !r.body.includes(token)),
      'the outbox holds it encrypted',
    );

    const listed = (await admin.get('/api/admin/invitations')).body.invitations as Array<{ email: string; state: string; groups: string[] }>;
    const anaRow = listed.find((i) => i.email === ana);
    assert.equal(anaRow?.state, 'pending');
    assert.deepEqual(anaRow?.groups, ['team', 'family']);

    const browser = t.client();
    const preview = await browser.post('/api/invitations/preview', { token });
    assert.deepEqual(
      { email: preview.body.email, name: preview.body.displayName, twoFactor: preview.body.requireTwoFactor, locale: preview.body.locale },
      { email: ana, name: 'Pérez, Ana', twoFactor: true, locale: 'es' },
    );
    const weak = await browser.post('/api/invitations/accept', { token, password: 'short' });
    assert.equal(weak.body.error, 'weak_password');
    const accepted = await browser.post('/api/invitations/accept', { token, password: CHOSEN });
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
    assert.equal(accepted.body.status, 'two_factor_setup_required');
    const me = (await browser.get('/api/session')).body.user;
    assert.equal(me.restricted, true, 'enrolment before anything else');
    assert.equal(me.displayName, 'Pérez, Ana');
    assert.equal((await browser.get('/api/me/groups')).status, 403, 'nothing else while restricted');
    const enrolled = await enrolTwoFactor(browser, { password: CHOSEN });
    assert.equal((await browser.get('/api/session')).body.user.restricted, undefined, 'full once enrolled');
    const groups = await t.s.groups.namesOf(me.id);
    assert.deepEqual(groups.sort(), ['family', 'team']);
    assert.equal((await t.s.users.findByEmail(ana))?.locale, 'es');

    // The account now signs in with the chosen password, and its 2FA stays required: turning it off restricts it again.
    const again = await browser.post('/api/invitations/accept', { token, password: CHOSEN });
    assert.equal(again.body.error, 'invitation_used');
    assert.equal((await browser.post('/api/invitations/preview', { token: 'A'.repeat(43) })).body.error, 'invalid_invitation');
    const afterwards = (await admin.get('/api/admin/invitations')).body.invitations as Array<{ email: string; state: string }>;
    assert.equal(afterwards.find((i) => i.email === ana)?.state, 'accepted');
    const users = (await admin.get(`/api/admin/users?q=${encodeURIComponent(ana)}`)).body.users;
    assert.equal(users[0].twoFactorRequired, true, 'the Users list says 2FA is required of this account');

    // Turned off again, the account may only enrol: the requirement is the account's, not the policy's.
    assert.equal((await browser.stepUp(CHOSEN, phoneCode(enrolled.key, suite.clock.now() + 30_000))).status, 204);
    const disabled = await browser.post('/api/me/2fa/disable', { password: CHOSEN });
    assert.ok(disabled.status < 300, JSON.stringify(disabled.body));
    assert.equal((await browser.get('/api/session')).body.user.restricted, true);
  });

  it('two browsers on one link at once: exactly one account', async () => {
    const carla = uniqueEmail('carla');
    assert.equal((await admin.post('/api/admin/invitations', { list: carla })).status, 201);
    const token = await linkFor(carla);
    const answers = await Promise.all([
      t.client().post('/api/invitations/accept', { token, password: CHOSEN }),
      t.client().post('/api/invitations/accept', { token, password: 'another-password-of-mine-9' }),
    ]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, 400]);
    assert.equal(answers.find((a) => a.status === 400)!.body.error, 'invitation_used');
    assert.equal((await t.s.db.selectFrom('users').select('id').where('email', '=', carla).execute()).length, 1);
  });

  it('a link expires after 7 days; a re-sent link works and the old one stops; a withdrawn link says so', async () => {
    const dora = uniqueEmail('dora');
    const sent = await admin.post('/api/admin/invitations', { list: dora });
    const id = sent.body.invitations[0].id as string;
    const first = await linkFor(dora);
    suite.clock.advance(7 * 86_400_000);
    assert.equal((await t.client().post('/api/invitations/accept', { token: first, password: CHOSEN })).body.error, 'invitation_expired');
    // A week on, the administrator signs in again.
    const adminEmail = uniqueEmail('admin');
    await seedUser(t.s, adminEmail, 'admin');
    admin = t.client();
    await admin.signIn(adminEmail);
    assert.equal((await admin.stepUp()).status, 204);
    assert.equal(
      ((await admin.get('/api/admin/invitations')).body.invitations as Array<{ id: string; state: string }>).find((i) => i.id === id)?.state,
      'expired',
    );

    const resent = await admin.post(`/api/admin/invitations/${id}/resend`);
    assert.equal(resent.status, 200, JSON.stringify(resent.body));
    const [, second] = await smtp.waitFor(2, { to: dora });
    const fresh = tokenOf(second!.text);
    assert.notEqual(fresh, first);
    assert.equal((await t.client().post('/api/invitations/preview', { token: first })).body.error, 'invalid_invitation', 'the old link stopped');

    assert.equal((await admin.delete(`/api/admin/invitations/${id}`)).status, 204);
    assert.equal((await t.client().post('/api/invitations/accept', { token: fresh, password: CHOSEN })).body.error, 'invitation_revoked');
    assert.equal(await t.s.users.findByEmail(dora), undefined);
    assert.equal((await admin.delete(`/api/admin/invitations/${id}`)).body.error, 'invitation_revoked');
  });

  it('a list with one wrong line invites nobody, and says which lines', async () => {
    const existing = uniqueEmail('existing');
    await seedUser(t.s, existing);
    const fine = uniqueEmail('fine');
    const before = (await t.s.db.selectFrom('invitations').select('id').execute()).length;
    const answer = await admin.post('/api/admin/invitations', { list: `${fine}\nnot-an-email\n${existing}\n${fine}\n${uniqueEmail('x')},,nosuchgroup,boss` });
    assert.equal(answer.status, 400);
    assert.match(answer.body.message, /line 2: "not-an-email" is not an email address/);
    assert.match(answer.body.message, /line 5: the role must be admin or user/);
    const second = await admin.post('/api/admin/invitations', { list: `${fine}\n${existing}\n${fine}\n${uniqueEmail('y')},,nosuchgroup` });
    assert.match(second.body.message, /line 2: .* already has an account/);
    assert.match(second.body.message, /line 3: .* is on the list twice/);
    assert.match(second.body.message, /line 4: there is no group named "nosuchgroup"/);
    assert.equal((await t.s.db.selectFrom('invitations').select('id').execute()).length, before, 'nothing was written');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(matching(smtp.received, { to: fine }).length, 0, 'nothing was sent');
  });

  it('only a stepped-up administrator invites (an admin role included); nobody else can', async () => {
    const plain = uniqueEmail('plain');
    await seedUser(t.s, plain);
    const user = t.client();
    await user.signIn(plain);
    await user.stepUp();
    const asUser = await user.post('/api/admin/invitations', { list: `${uniqueEmail('mallory')},,,admin` });
    assert.equal(asUser.status, 403);

    const adminEmail = uniqueEmail('lazy-admin');
    await seedUser(t.s, adminEmail, 'admin');
    const notSteppedUp = t.client();
    await notSteppedUp.signIn(adminEmail);
    const refused = await notSteppedUp.post('/api/admin/invitations', { list: `${uniqueEmail('mallory')},,,admin` });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'reauthentication_required');
    assert.equal((await new Client(t.app).post('/api/admin/invitations', { list: uniqueEmail('anon') })).status, 401);

    const boss = uniqueEmail('boss');
    assert.equal((await admin.post('/api/admin/invitations', { list: boss, role: 'admin' })).status, 201);
    const token = await linkFor(boss);
    const accepted = await t.client().post('/api/invitations/accept', { token, password: CHOSEN });
    assert.equal(accepted.body.user.role, 'admin');
    assert.equal((await t.client().signIn(boss, CHOSEN)).status, 200);
    assert.equal((await t.client().signIn(boss, STRONG_PASSWORD)).status, 401);
  });
});
