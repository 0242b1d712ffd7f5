// Self-registration, with a real SMTP server (smtp-server on a loopback port), on SQLite and
// PostgreSQL: off by default; a domain list; the same answer, the same database work and a mail
// either way for a new and a known email (only the mail's words differ, and the known one gets no
// link); the link proves the mailbox before any account exists; per-email limits; the default
// group; approval (the account cannot sign in until an administrator lets it); links that expire
// or are used twice at once; settings changed after the mail went out.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { Client, seedUser, type TestApp, uniqueEmail } from '../../test-support/harness.js';
import { matching, type TestSmtp, tokenOf } from '../../test-support/smtp.js';
import { startMailingApp, stopMailingApp } from '../../test-support/mailing-app.js';

const CHOSEN = 'a-password-of-my-own-31';
const NEW_SUBJECT = 'Confirm your address to create your account';
const KNOWN_SUBJECT = 'You already have an account';

describeOnEachDialect('self-registration', { resetSettings: true }, (suite) => {
  let smtp: TestSmtp;
  let t: TestApp;

  before(async () => ({ smtp, t } = await startMailingApp(suite)));
  after(() => stopMailingApp({ smtp, t }));

  async function admin(): Promise<Client> {
    const email = uniqueEmail('admin');
    await seedUser(t.s, email, 'admin');
    const c = t.client();
    assert.equal((await c.signIn(email)).status, 200);
    assert.equal((await c.stepUp()).status, 204);
    return c;
  }

  async function registrations(): Promise<number> {
    return (await t.s.db.selectFrom('registrations').select('id').execute()).length;
  }

  async function linkFor(email: string): Promise<string> {
    const [mail] = await smtp.waitFor(1, { to: email, subject: NEW_SUBJECT });
    return tokenOf(mail!.text);
  }

  // The local part says which test an address belongs to; the domain is what the limit looks at.
  const at = (name: string, domain = 'example.com') => uniqueEmail(name).replace(/@.*$/, `@${domain}`);

  it('is off by default: the pages are told so and a request changes nothing', async () => {
    const anon = new Client(t.app);
    assert.deepEqual((await anon.get('/api/registration')).body, { registration: 'off', domains: [] });
    const before = await registrations();
    const refused = await anon.post('/api/registration', { email: at('nobody'), locale: 'en' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'registration_closed');
    assert.equal(await registrations(), before, 'nothing written');
  });

  it('open to listed domains: a new and a known email get the same answer and work; only the new one gets a link; the link makes the account', async () => {
    const group = await (await admin()).post('/api/admin/groups', { name: 'newcomers' });
    assert.ok(group.status === 201 || group.body.error === 'group_exists');
    await t.s.settings.update({ registration: 'open', registrationDomains: ['example.com', 'example.org'], registrationGroup: 'newcomers' });
    const anon = new Client(t.app);
    assert.deepEqual((await anon.get('/api/registration')).body, { registration: 'open', domains: ['example.com', 'example.org'] });

    const elsewhere = await anon.post('/api/registration', { email: at('eve', 'elsewhere.net'), locale: 'en' });
    assert.equal(elsewhere.status, 400);
    assert.equal(elsewhere.body.error, 'registration_domain');
    assert.deepEqual(elsewhere.body.domains, ['example.com', 'example.org']);
    assert.match(elsewhere.body.message, /example\.com, example\.org/);
    assert.equal((await anon.post('/api/registration', { email: 'not-an-email', locale: 'en' })).status, 400);
    // NFKC makes an @ and a comma of the full-width ones: checked after normalising, it is not one address
    // (else the domain check saw example.com and mail went to evil.example too).
    const before0 = await registrations();
    const crafted = await anon.post('/api/registration', { email: 'me\uFF20evil.example\uFF0Cx@example.com', locale: 'en' });
    assert.deepEqual([crafted.status, crafted.body.error], [400, 'invalid_request']);
    assert.equal(await registrations(), before0, 'nothing written for it');
    assert.equal((await anon.post('/api/registration', { email: at('x'), locale: 'fr' })).status, 400);

    const known = at('known');
    await seedUser(t.s, known);
    const fresh = at('fresh', 'EXAMPLE.org');
    const before = await registrations();
    const forKnown = await anon.post('/api/registration', { email: known.toUpperCase(), locale: 'es' });
    const forFresh = await anon.post('/api/registration', { email: fresh, locale: 'es' });
    assert.deepEqual([forKnown.status, forKnown.body], [202, { status: 'sent' }]);
    assert.deepEqual([forFresh.status, forFresh.body], [202, { status: 'sent' }], 'the same answer');
    assert.equal(await registrations(), before + 2, 'the same rows written for both');

    // The known account's owner is told, in the account's language (English here), with no link to register.
    const [toKnown] = await smtp.waitFor(1, { to: known, subject: KNOWN_SUBJECT });
    assert.doesNotMatch(toKnown!.text, /register\?token=/);
    assert.match(toKnown!.text, /forgot-password/);
    const [toFresh] = await smtp.waitFor(1, { to: fresh.toLowerCase(), subject: 'Confirma tu dirección para crear tu cuenta' });
    const token = tokenOf(toFresh!.text);
    assert.ok(
      (await t.s.db.selectFrom('registrations').select('token_hash').execute()).every((r) => r.token_hash !== token),
      'only the SHA-256 is stored',
    );
    assert.equal(await t.s.users.findByEmail(fresh), undefined, 'no account before the link is used');

    const browser = t.client();
    assert.deepEqual((await browser.post('/api/registration/preview', { token })).body, { email: fresh.toLowerCase(), locale: 'es', approval: false });
    assert.equal((await browser.post('/api/registration/complete', { token, password: 'short' })).body.error, 'weak_password');
    const done = await browser.post('/api/registration/complete', { token, password: CHOSEN, displayName: '  Ana  ' });
    assert.equal(done.status, 201, JSON.stringify(done.body));
    assert.equal(done.body.status, 'authenticated');
    const me = (await browser.get('/api/session')).body.user;
    assert.equal(me.email, fresh.toLowerCase());
    assert.equal(me.displayName, 'Ana');
    assert.deepEqual(await t.s.groups.namesOf(me.id), ['newcomers'], 'in the default group');
    assert.equal((await t.s.users.findByEmail(fresh))?.locale, 'es');
    assert.equal((await browser.post('/api/registration/complete', { token, password: CHOSEN })).body.error, 'registration_used');
    assert.equal((await t.client().signIn(fresh, CHOSEN)).status, 200);
    assert.equal((await browser.post('/api/registration/preview', { token: 'A'.repeat(43) })).body.error, 'invalid_registration');
  });

  it('at most 3 mails an hour per email, with the same answer beyond; an hour later, mail again', async () => {
    await t.s.settings.update({ registration: 'open' });
    const person = at('often');
    for (let i = 0; i < 5; i++) {
      const r = await new Client(t.app).post('/api/registration', { email: person, locale: 'en' });
      assert.deepEqual([r.status, r.body], [202, { status: 'sent' }]);
    }
    await smtp.waitFor(3, { to: person });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(matching(smtp.received, { to: person }).length, 3, 'nothing sent past the limit');
    suite.clock.advance(3_600_000);
    await t.s.settings.update({ registration: 'open' });
    assert.equal((await new Client(t.app).post('/api/registration', { email: person, locale: 'en' })).status, 202);
    await smtp.waitFor(4, { to: person });
  });

  it('with approval: the account waits and cannot sign in; administrators are told; once approved it signs in', async () => {
    const boss = await admin();
    await t.s.settings.update({ registration: 'approval' });
    const person = at('waiting');
    assert.equal((await new Client(t.app).post('/api/registration', { email: person, locale: 'en' })).status, 202);
    const token = await linkFor(person);
    const browser = t.client();
    assert.equal((await browser.post('/api/registration/preview', { token })).body.approval, true);
    const done = await browser.post('/api/registration/complete', { token, password: CHOSEN });
    assert.deepEqual([done.status, done.body], [202, { status: 'awaiting_approval' }]);
    assert.equal((await browser.get('/api/session')).status, 401, 'not signed in');

    const waiting = await t.client().signIn(person, CHOSEN);
    assert.equal(waiting.status, 403);
    assert.equal(waiting.body.error, 'awaiting_approval');
    assert.equal((await t.client().signIn(person, 'a-wrong-password-entirely')).body.error, 'invalid_credentials', 'a wrong password learns nothing');
    assert.equal((await new Client(t.app).post('/api/password-reset', { email: person })).status, 202);

    const row = (await boss.get(`/api/admin/users?q=${encodeURIComponent(person)}`)).body.users[0];
    assert.equal(row.awaitingApproval, true);
    // Nor does an administrator's reset sign it in before approval.
    const reset = await boss.post(`/api/admin/users/${row.id}/password-reset`);
    assert.deepEqual([reset.status, reset.body.error], [403, 'awaiting_approval']);
    await smtp.waitFor(1, { subject: 'A new account is waiting for your approval' });

    const plain = uniqueEmail('plain');
    await seedUser(t.s, plain);
    const user = t.client();
    await user.signIn(plain);
    await user.stepUp();
    assert.equal((await user.post(`/api/admin/users/${row.id}/approve`)).status, 403, 'only administrators');
    assert.equal((await boss.post(`/api/admin/users/${row.id}/approve`)).status, 204);
    assert.equal((await boss.post(`/api/admin/users/${row.id}/approve`)).body.error, 'not_awaiting_approval');
    assert.equal((await boss.post('/api/admin/users/not-a-user/approve')).status, 404);
    await smtp.waitFor(1, { to: person, subject: 'Your account is approved' });
    assert.equal(matching(smtp.received, { to: person, subject: 'Reset your password' }).length, 0, 'no reset link went to a waiting account');
    assert.equal((await t.client().signIn(person, CHOSEN)).status, 200);
  });

  it('two browsers on one link: one account; a link expires after 24 hours; closing registration stops links already sent', async () => {
    await t.s.settings.update({ registration: 'open' });
    const racer = at('racer');
    await new Client(t.app).post('/api/registration', { email: racer, locale: 'en' });
    const token = await linkFor(racer);
    const answers = await Promise.all([
      t.client().post('/api/registration/complete', { token, password: CHOSEN }),
      t.client().post('/api/registration/complete', { token, password: 'another-password-of-mine-9' }),
    ]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, 400]);
    assert.equal(answers.find((a) => a.status === 400)!.body.error, 'registration_used');
    assert.equal((await t.s.db.selectFrom('users').select('id').where('email', '=', racer).execute()).length, 1);

    const late = at('late');
    await new Client(t.app).post('/api/registration', { email: late, locale: 'en' });
    const lateToken = await linkFor(late);
    const closed = at('closed');
    await new Client(t.app).post('/api/registration', { email: closed, locale: 'en' });
    const closedToken = await linkFor(closed);

    await t.s.settings.update({ registration: 'off' });
    assert.equal((await t.client().post('/api/registration/complete', { token: closedToken, password: CHOSEN })).body.error, 'registration_closed');
    await t.s.settings.update({ registration: 'open', registrationDomains: ['example.org'] });
    assert.equal((await t.client().post('/api/registration/complete', { token: closedToken, password: CHOSEN })).body.error, 'registration_domain');
    assert.equal(await t.s.users.findByEmail(closed), undefined);

    await t.s.settings.update({ registration: 'open', registrationDomains: [] });
    suite.clock.advance(24 * 3_600_000);
    assert.equal((await t.client().post('/api/registration/complete', { token: lateToken, password: CHOSEN })).body.error, 'registration_expired');
    assert.equal(await t.s.users.findByEmail(late), undefined);
  });
});
