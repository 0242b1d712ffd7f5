// Password reset by mail, received by a real SMTP server (smtp-server on a loopback port), on
// SQLite and PostgreSQL: the same answer for unknown emails, a single-use link valid 30 minutes,
// the second factor before the new password, every session ended, the per-email limit.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { Client, STRONG_PASSWORD, enrolTwoFactor, seedUser, type TestApp } from '../../test-support/harness.js';
import { phoneCode } from '../../test-support/authenticator.js';
import { matching, startSmtp, type TestSmtp, tokenOf } from '../../test-support/smtp.js';

const NEW_PASSWORD = 'a-brand-new-passphrase-77';

describeOnEachDialect('password reset by mail', (suite) => {
  const { clock } = suite;
  let smtp: TestSmtp;
  let t: TestApp;

  before(async () => {
    smtp = await startSmtp();
    t = await suite.startApp({
      mailPollMs: 20,
      env: { GATEHOUSE_SMTP_URL: smtp.url, GATEHOUSE_PUBLIC_URL: 'http://login.example.com/auth', GATEHOUSE_MAIL_FROM: 'Gatehouse <login@example.com>' },
    });
  });
  // The app first, so that its mail worker has stopped when the SMTP server goes.
  after(async () => {
    await t?.close();
    await smtp?.stop();
  });

  it('answers the same for unknown emails, mails a single-use link that sets the password and ends every session', async () => {
    await seedUser(t.s, 'rosa@example.com');
    const signedIn = new Client(t.app);
    assert.equal((await signedIn.signIn('rosa@example.com')).status, 200);
    const before = smtp.received.length;

    const anon = new Client(t.app);
    const unknown = await anon.post('/api/password-reset', { email: 'nobody@example.com' });
    const known = await anon.post('/api/password-reset', { email: ' Rosa@Example.com ' });
    assert.equal(unknown.status, 202);
    assert.equal(known.status, 202);
    assert.deepEqual(unknown.body, known.body);

    const [mail] = await smtp.waitFor(1, { to: 'rosa@example.com', subject: 'Reset your password' });
    assert.ok(mail);
    assert.equal(mail.from, 'login@example.com');
    assert.match(mail.text, /http:\/\/login\.example\.com\/auth\/reset-password\?token=/);
    assert.match(mail.html, /href="http:\/\/login\.example\.com\/auth\/reset-password\?token=/);
    assert.ok(
      smtp.received.slice(before).every((m) => !m.to.includes('nobody@example.com')),
      'nothing is sent to an unknown email',
    );
    const token = tokenOf(mail.text);
    assert.match(token, /^[A-Za-z0-9_-]{43}$/, '256 random bits');
    const stored = await t.s.db.selectFrom('password_reset_tokens').selectAll().execute();
    assert.ok(
      stored.every((row) => row.token_hash !== token && row.token_hash.length === 64),
      'only the SHA-256 is stored',
    );
    const outbox = await t.s.db.selectFrom('mail_outbox').select(['body', 'status']).execute();
    assert.ok(
      outbox.every((row) => !row.body.includes(token)),
      'the outbox never holds the link in clear',
    );

    const weak = await anon.post('/api/password-reset/complete', { token, newPassword: 'short' });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.error, 'weak_password');
    const done = await anon.post('/api/password-reset/complete', { token, newPassword: NEW_PASSWORD });
    assert.equal(done.status, 200);
    assert.equal((await signedIn.get('/api/session')).status, 401, 'every session ended');
    assert.equal((await new Client(t.app).signIn('rosa@example.com', NEW_PASSWORD)).status, 200);
    assert.equal((await new Client(t.app).signIn('rosa@example.com', STRONG_PASSWORD)).status, 401);

    const again = await anon.post('/api/password-reset/complete', { token, newPassword: 'yet-another-passphrase-88' });
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'reset_token_used');
    const forged = await anon.post('/api/password-reset/complete', { token: 'A'.repeat(43), newPassword: NEW_PASSWORD });
    assert.equal(forged.body.error, 'invalid_reset_token');
    const [notice] = await smtp.waitFor(1, { to: 'rosa@example.com', subject: 'Your password was reset' });
    assert.match(notice!.text, /http:\/\/login\.example\.com\/auth\/account\/security/);
  });

  it('expires a link after 30 minutes, and sends at most 3 per email per hour', async () => {
    await seedUser(t.s, 'olga@example.com');
    const anon = new Client(t.app);
    assert.equal((await anon.post('/api/password-reset', { email: 'olga@example.com' })).status, 202);
    const [first] = await smtp.waitFor(1, { to: 'olga@example.com', subject: 'Reset your password' });
    clock.advance(30 * 60_000 + 1000);
    const late = await anon.post('/api/password-reset/complete', { token: tokenOf(first!.text), newPassword: NEW_PASSWORD });
    assert.equal(late.status, 400);
    assert.equal(late.body.error, 'reset_token_expired');

    clock.advance(60 * 60_000); // a fresh hour
    for (let i = 0; i < 5; i += 1) assert.equal((await anon.post('/api/password-reset', { email: 'olga@example.com' })).status, 202);
    const resets = { to: 'olga@example.com', subject: 'Reset your password' };
    await smtp.waitFor(4, resets);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(matching(smtp.received, resets).length, 4, '1 earlier + 3 in this hour');
  });

  it('asks an account with 2FA for a code before taking the new password; a wrong code leaves the link valid', async () => {
    await seedUser(t.s, 'iris@example.com');
    const owner = new Client(t.app);
    await owner.signIn('iris@example.com');
    const { key } = await enrolTwoFactor(owner);
    const anon = new Client(t.app);
    await anon.post('/api/password-reset', { email: 'iris@example.com' });
    const [mail] = await smtp.waitFor(1, { to: 'iris@example.com', subject: 'Reset your password' });
    const token = tokenOf(mail!.text);

    const noCode = await anon.post('/api/password-reset/complete', { token, newPassword: NEW_PASSWORD });
    assert.equal(noCode.status, 401);
    assert.equal(noCode.body.error, 'code_required');
    const right = phoneCode(key, clock.now() + 30_000);
    const wrong = await anon.post('/api/password-reset/complete', { token, newPassword: NEW_PASSWORD, code: right === '123456' ? '654321' : '123456' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, 'invalid_code');
    assert.equal((await new Client(t.app).signIn('iris@example.com', NEW_PASSWORD)).status, 401, 'the password did not change');

    clock.advance(30_000);
    const ok = await anon.post('/api/password-reset/complete', { token, newPassword: NEW_PASSWORD, code: right });
    assert.equal(ok.status, 200);
    assert.equal((await owner.get('/api/session')).status, 401);
    const fresh = new Client(t.app);
    assert.equal((await fresh.signIn('iris@example.com', NEW_PASSWORD)).body.status, 'second_factor_required', '2FA stays on');
  });

  it('an attacker who knows only the email keeps sign-in locked; the owner gets in through the mailbox, in a fresh browser, every time', async () => {
    // An app of its own: the per-address brake on reset requests starts empty whatever ran before.
    const t = await suite.startApp({ mailPollMs: 20, env: { GATEHOUSE_SMTP_URL: smtp.url, GATEHOUSE_PUBLIC_URL: 'http://login.example.com/auth' } });
    const email = 'vera@example.com';
    await seedUser(t.s, email);
    const first = new Client(t.app);
    await first.signIn(email);
    const { key } = await enrolTwoFactor(first);
    const attacker = new Client(t.app);
    const lockOut = async (password: string) => {
      for (let i = 0; i < 6; i++) await attacker.signIn(email, 'not-the-password-at-all');
      const refused = await new Client(t.app).signIn(email, password);
      assert.equal(refused.status, 429, 'a fresh browser meets the lock, even with the right password');
    };
    let password = STRONG_PASSWORD;
    for (const round of [1, 2]) {
      await lockOut(password);
      const fresh = new Client(t.app);
      assert.equal((await fresh.post('/api/password-reset', { email })).status, 202);
      const mails = await smtp.waitFor(round, { to: email, subject: 'Reset your password' });
      const next = `a-new-passphrase-round-${round}-xyz`;
      clock.advance(30_000);
      const done = await fresh.post('/api/password-reset/complete', {
        token: tokenOf(mails[round - 1]!.text),
        newPassword: next,
        code: phoneCode(key, clock.now()),
      });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.status, 'authenticated');
      assert.equal((await fresh.get('/api/session')).status, 200, 'the reset signed this browser in');
      const device = done.cookies.find((c) => c.name === 'gatehouse_device');
      assert.ok(device, 'and trusts it');

      // Locked again at once: this browser still signs in, on its own counter.
      await lockOut(next);
      const back = await fresh.post('/api/session', { email, password: next }, { cookie: `gatehouse_device=${device.value}` });
      assert.equal(back.body.status, 'second_factor_required', JSON.stringify(back.body));
      password = next;
    }
    const countedGuesses = await t.s.db
      .selectFrom('audit_events')
      .select('kind')
      .where('subject_email', '=', email)
      .where('kind', '=', 'sign_in.failed')
      .execute();
    assert.equal(countedGuesses.length, 5, "the attacker's budget is as before: five guesses, then the lock (still running) refuses the rest unheard");
  });

  it('lets an administrator mail a reset (202) when SMTP is configured', async () => {
    const admin = await seedUser(t.s, 'boss@example.com', 'admin');
    const user = await seedUser(t.s, 'nina@example.com');
    const c = new Client(t.app);
    await c.signIn('boss@example.com');
    assert.equal(
      (await c.post(`/api/admin/users/${user.id}/password-reset`)).body.error,
      'reauthentication_required',
      'a reset link for someone else needs a step-up',
    );
    await c.stepUp();
    const sent = await c.post(`/api/admin/users/${user.id}/password-reset`);
    assert.equal(sent.status, 202);
    assert.deepEqual(sent.body, { sent: true }, 'no link is shown when mail goes out');
    await smtp.waitFor(1, { to: 'nina@example.com', subject: 'Reset your password' });
    assert.equal((await c.post('/api/admin/users/00000000-0000-0000-0000-000000000000/password-reset')).status, 404);
    const userClient = new Client(t.app);
    await userClient.signIn('nina@example.com');
    assert.equal((await userClient.post(`/api/admin/users/${admin.id}/password-reset`)).status, 403);
  });
});
