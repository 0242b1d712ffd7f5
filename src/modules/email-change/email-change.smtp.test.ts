// Email change by mail, received by a real SMTP server (smtp-server on a loopback port), on SQLite
// and PostgreSQL: behind a step-up; the same answer for a free and a taken address (the taken one
// only hears of it); the link to the new address confirms once and for 24 hours; the old address
// gets a link that undoes it for 72 hours, ending every session; races, a newer request, an address
// taken meanwhile, chained changes, directory accounts, bad bodies and the hourly limit. Time moves
// only on the suite's clock.
import { after, before, beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { type Client, seedUser, STRONG_PASSWORD, type TestApp, uniqueEmail } from '../../test-support/harness.js';
import { type TestSmtp, tokenOf } from '../../test-support/smtp.js';
import { startMailingApp, stopMailingApp } from '../../test-support/mailing-app.js';
import { generateSessionToken, hashSessionToken } from '../../crypto/tokens.js';
import { spendConfirmToken, spendUndoToken } from './email-change.repository.js';

const HOUR = 3_600_000;
const CONFIRM_SUBJECT = 'Confirm your new email address';
const CHANGED_SUBJECT = 'The email of your account was changed';
const TAKEN_SUBJECT = 'Someone tried to use your email address';

describeOnEachDialect('email change by mail', { resetSettings: true }, (suite) => {
  const { clock } = suite;
  let smtp: TestSmtp;
  let t: TestApp;

  before(async () => ({ smtp, t } = await startMailingApp(suite)));
  after(() => stopMailingApp({ smtp, t }));

  interface Account {
    id: string;
    email: string;
    client: Client;
  }

  /** A new account, signed in and stepped up (the step-up window is 10 minutes of the suite's clock). */
  async function account(label = 'owner', role: 'user' | 'admin' = 'user'): Promise<Account> {
    const email = uniqueEmail(label);
    const { id } = await seedUser(t.s, email, role);
    const client = t.client();
    assert.equal((await client.signIn(email)).status, 200);
    assert.equal((await client.stepUp()).status, 204);
    return { id, email, client };
  }

  const emailOf = async (id: string) => (await t.s.db.selectFrom('users').select('email').where('id', '=', id).executeTakeFirstOrThrow()).email;
  /** The email-change messages queued for an address (a sign-in from a new device sends its own notice). */
  const outboxTo = async (recipient: string) =>
    t.s.db.selectFrom('mail_outbox').select('kind').where('recipient', '=', recipient).where('kind', 'like', 'email_change%').execute();
  const events = async (kind: string, subjectId: string) =>
    (await t.s.db.selectFrom('audit_events').select('details').where('kind', '=', kind).where('subject_id', '=', subjectId).execute())
      .map((e) => JSON.parse(e.details) as Record<string, unknown>)
      .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));

  /** Asks for the change and answers the token of the link mailed to the new address. */
  async function requestChange(a: Account, to: string): Promise<string> {
    const answer = await a.client.post('/api/me/email', { email: to });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const mails = await smtp.waitFor(1, { to, subject: CONFIRM_SUBJECT });
    return tokenOf(mails.at(-1)!.text);
  }

  /** Confirms and answers the token of the undo link mailed to the old address. */
  async function confirm(token: string, oldEmail: string): Promise<string> {
    const done = await t.client().post('/api/email-change/confirm', { token });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const [notice] = await smtp.waitFor(1, { to: oldEmail, subject: CHANGED_SUBJECT });
    return tokenOf(notice!.text);
  }

  let a: Account;
  beforeEach(async () => {
    a = await account();
  });

  it('needs a signed-in, stepped-up session', async () => {
    assert.equal((await t.client().post('/api/me/email', { email: uniqueEmail('x') })).status, 401);
    const fresh = t.client();
    await fresh.signIn(a.email);
    const refused = await fresh.post('/api/me/email', { email: uniqueEmail('x') });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'reauthentication_required', 'a stolen cookie is exactly a fresh sign-in');
    assert.deepEqual((await fresh.get('/api/me/email')).body, { email: a.email, managedByDirectory: false });
  });

  it('answers a free and a taken address alike; the taken one only hears of the attempt, and nothing changes', async () => {
    const other = await account('other');
    const free = uniqueEmail('free');
    const toFree = await a.client.post('/api/me/email', { email: ` ${free.toUpperCase()} ` });
    const toTaken = await a.client.post('/api/me/email', { email: other.email });
    assert.deepEqual([toFree.status, toFree.body], [202, { sentTo: free }], 'normalised as sign-in compares it');
    assert.deepEqual([toTaken.status, toTaken.body], [202, { sentTo: other.email }]);

    const [taken] = await smtp.waitFor(1, { to: other.email, subject: TAKEN_SUBJECT });
    assert.throws(() => tokenOf(taken!.text), /no reset/, 'no link that could confirm anything');
    assert.ok(taken!.text.includes('http://login.example.com/account/security'));
    assert.deepEqual(await outboxTo(other.email), [{ kind: 'email_change_taken' }]);
    const rows = await t.s.db.selectFrom('email_changes').selectAll().where('user_id', '=', a.id).orderBy('created_at').orderBy('new_email').execute();
    // Both requests wrote a row and each cancelled the one before: if a taken address left the earlier
    // link working, a requester could probe addresses with a mailbox of their own.
    assert.deepEqual(
      rows.map((r) => [r.new_email, r.cancelled_at !== null]).sort(),
      [
        [free, true],
        [other.email, true],
      ].sort(),
      'no change waits for the taken address, and the free one was replaced by it',
    );
    assert.equal(await emailOf(a.id), a.email);
    assert.equal(await emailOf(other.id), other.email);
    // The owner reads their own events: both say the same.
    assert.deepEqual(
      await events('user.email_change_requested', a.id),
      [{ to: free }, { to: other.email }].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    );

    const [mail] = await smtp.waitFor(1, { to: free, subject: CONFIRM_SUBJECT });
    const token = tokenOf(mail!.text);
    assert.match(mail!.text, /works once, for 24 hours/);
    assert.ok(
      rows.every((r) => r.confirm_token_hash.length === 64 && r.confirm_token_hash !== token),
      'only the SHA-256 is stored',
    );
    assert.equal((await t.client().post('/api/email-change/confirm', { token })).body.error, 'email_change_cancelled', 'the later request replaced it');
  });

  it('confirms once: sign-in takes the new address, not the old; the old one gets the undo link; reset links and invitations for it end', async () => {
    const next = uniqueEmail('next');
    // A reset link mailed to the old address before, and an invitation waiting for the new one.
    assert.equal((await t.client().post('/api/password-reset', { email: a.email })).status, 202);
    const [reset] = await smtp.waitFor(1, { to: a.email, subject: 'Reset your password' });
    const admin = await account('admin', 'admin');
    assert.equal((await admin.client.post('/api/admin/invitations', { list: next })).status, 201);

    const token = await requestChange(a, next);
    const undo = await confirm(token, a.email);
    const [notice] = await smtp.waitFor(1, { to: a.email, subject: CHANGED_SUBJECT });
    assert.ok(notice!.text.includes(`is now ${next}`), 'the old address is told the new one');
    assert.ok(notice!.text.includes(`http://login.example.com/email-change/undo?token=${undo}`));
    assert.match(notice!.text, /within 72 hours/);

    assert.equal(await emailOf(a.id), next);
    assert.equal((await t.client().signIn(a.email)).status, 401);
    assert.equal((await t.client().signIn(next)).status, 200);
    assert.equal((await a.client.get('/api/session')).body.user.email, next, 'the session carries on, as the new address');
    assert.deepEqual(await events('user.email_changed', a.id), [{ from: a.email, to: next }]);

    const again = await t.client().post('/api/email-change/confirm', { token });
    assert.deepEqual([again.status, again.body.error], [400, 'email_change_used']);
    const late = await t.client().post('/api/password-reset/complete', { token: tokenOf(reset!.text), newPassword: 'a-new-passphrase-for-me-77' });
    assert.equal(late.body.error, 'reset_token_used', 'the old mailbox no longer opens the account');
    const invitation = await t.s.db.selectFrom('invitations').select('revoked_at').where('email', '=', next).executeTakeFirstOrThrow();
    assert.notEqual(invitation.revoked_at, null, 'the invitation for the address it took ends');
  });

  it('of two racing confirmations exactly one wins', async () => {
    const next = uniqueEmail('race');
    const token = await requestChange(a, next);
    const answers = await Promise.all([t.client().post('/api/email-change/confirm', { token }), t.client().post('/api/email-change/confirm', { token })]);
    assert.deepEqual(answers.map((r) => r.status).sort(), [200, 400]);
    assert.equal(answers.find((r) => r.status === 400)!.body.error, 'email_change_used');
    assert.equal(await emailOf(a.id), next);
    const notices = await t.s.db.selectFrom('mail_outbox').select('id').where('kind', '=', 'email_changed').where('recipient', '=', a.email).execute();
    assert.equal(notices.length, 1, 'one notice, one undo link');
  });

  it('spends each link in the UPDATE itself: a second spend changes nothing (the race above, without its timing)', async () => {
    const token = await requestChange(a, uniqueEmail('once'));
    const hash = hashSessionToken(token);
    const now = clock.now();
    const confirmOnce = (undo: string) => spendConfirmToken(t.s.db, hash, { now, undoTokenHash: hashSessionToken(undo), undoUntil: now + HOUR });
    const undo = generateSessionToken();
    assert.deepEqual([await confirmOnce(undo), await confirmOnce(generateSessionToken())], [true, false]);
    const undoHash = hashSessionToken(undo);
    assert.deepEqual([await spendUndoToken(t.s.db, undoHash, now), await spendUndoToken(t.s.db, undoHash, now)], [true, false]);
  });

  it('refuses an expired link, and one a newer request replaced', async () => {
    const first = await requestChange(a, uniqueEmail('late'));
    clock.advance(24 * HOUR);
    const expired = await t.client().post('/api/email-change/confirm', { token: first });
    assert.deepEqual([expired.status, expired.body.error], [400, 'email_change_expired']);
    assert.equal(await emailOf(a.id), a.email);

    // A day on, the session has ended (12 idle hours): a new sign-in and step-up.
    assert.equal((await a.client.signIn(a.email)).status, 200);
    assert.equal((await a.client.stepUp()).status, 204);
    const replaced = await requestChange(a, uniqueEmail('second'));
    const latest = uniqueEmail('third');
    const token = await requestChange(a, latest);
    assert.equal((await t.client().post('/api/email-change/confirm', { token: replaced })).body.error, 'email_change_cancelled');
    await confirm(token, a.email);
    assert.equal(await emailOf(a.id), latest);
  });

  it("a thief's waiting change dies with the owner's recovery: a reset or sign-out everywhere cancels it, a password changed since refuses it", async () => {
    // The confirmation mail names the account that asks, so nobody confirms a stranger's change unawares.
    const stolen = uniqueEmail('thief');
    const token = await requestChange(a, stolen);
    const [asked] = await smtp.waitFor(1, { to: stolen, subject: CONFIRM_SUBJECT });
    assert.ok(asked!.text.includes(a.email), 'the mail names the account');
    // The owner signs out everywhere else (ending every other session and grant): the waiting change goes too.
    assert.equal((await a.client.post('/api/me/sessions/sign-out-others')).status, 204);
    assert.equal((await t.client().post('/api/email-change/confirm', { token })).body.error, 'email_change_cancelled');
    assert.equal(await emailOf(a.id), a.email);

    // A change asked for before the password changed (and not cancelled on the way): refused, nothing changed.
    const owner = await account('owner-again');
    const later = await requestChange(owner, uniqueEmail('later'));
    clock.advance(1000);
    await t.s.db.updateTable('users').set({ password_changed_at: clock.now() }).where('id', '=', owner.id).execute();
    const refused = await t.client().post('/api/email-change/confirm', { token: later });
    assert.deepEqual([refused.status, refused.body.error], [409, 'email_change_outdated']);
    assert.equal(await emailOf(owner.id), owner.email);
  });

  it('refuses an address that NFKC would make two of (a full-width @ and comma)', async () => {
    const crafted = await a.client.post('/api/me/email', { email: 'me\uFF20evil.example\uFF0Cx@example.com' });
    assert.deepEqual([crafted.status, crafted.body.error], [400, 'invalid_request']);
    assert.deepEqual(await t.s.db.selectFrom('email_changes').select('id').where('user_id', '=', a.id).execute(), []);
  });

  it('undoes within 72 hours: the old address back, every session ended, reset links spent; once', async () => {
    const elsewhere = t.client();
    await elsewhere.signIn(a.email);
    const next = uniqueEmail('thief');
    const undo = await confirm(await requestChange(a, next), a.email);
    assert.equal((await t.client().post('/api/password-reset', { email: next })).status, 202);
    const [reset] = await smtp.waitFor(1, { to: next, subject: 'Reset your password' });
    // Nearly 72 hours on, the sessions kept alive meanwhile (they end after 12 idle hours).
    for (let hours = 0; hours < 70; hours += 10) {
      clock.advance(10 * HOUR);
      for (const c of [elsewhere, a.client]) assert.equal((await c.get('/api/session')).status, 200);
    }
    clock.advance(HOUR);

    const done = await t.client().post('/api/email-change/undo', { token: undo });
    assert.deepEqual([done.status, done.body], [200, { email: a.email }]);
    assert.equal(await emailOf(a.id), a.email);
    assert.equal((await elsewhere.get('/api/session')).status, 401, 'an old cookie no longer works');
    assert.equal((await a.client.get('/api/session')).status, 401);
    assert.equal((await t.client().signIn(next)).status, 401);
    assert.equal((await t.client().signIn(a.email)).status, 200);
    assert.equal(
      (await t.client().post('/api/password-reset/complete', { token: tokenOf(reset!.text), newPassword: 'a-new-passphrase-for-me-77' })).body.error,
      'reset_token_used',
      'a link mailed to the address that was undone',
    );
    assert.deepEqual(await events('user.email_change_undone', a.id), [{ from: next, to: a.email }]);
    assert.equal((await t.client().post('/api/email-change/undo', { token: undo })).body.error, 'email_change_used');
  });

  it('refuses the undo link after 72 hours: the change stays', async () => {
    const next = uniqueEmail('kept');
    const undo = await confirm(await requestChange(a, next), a.email);
    clock.advance(72 * HOUR);
    const late = await t.client().post('/api/email-change/undo', { token: undo });
    assert.deepEqual([late.status, late.body.error], [400, 'email_change_expired']);
    assert.equal(await emailOf(a.id), next);
  });

  it('an address another account takes meanwhile: 409 email_taken, and nothing changes (confirm and undo)', async () => {
    const wanted = uniqueEmail('wanted');
    const token = await requestChange(a, wanted);
    const rival = await seedUser(t.s, wanted);
    const refused = await t.client().post('/api/email-change/confirm', { token });
    assert.deepEqual([refused.status, refused.body.error], [409, 'email_taken']);
    assert.equal(await emailOf(a.id), a.email);
    assert.equal(await emailOf(rival.id), wanted);
    const row = await t.s.db.selectFrom('email_changes').select(['confirmed_at', 'undo_token_hash']).where('user_id', '=', a.id).executeTakeFirstOrThrow();
    assert.deepEqual(row, { confirmed_at: null, undo_token_hash: null }, 'the spend was rolled back with the rest');
    assert.deepEqual(await outboxTo(a.email), [], 'no notice to the old address');

    // The old address taken after a change: the undo refuses alike, and the sessions stay.
    const next = uniqueEmail('next');
    const undo = await confirm(await requestChange(a, next), a.email);
    await seedUser(t.s, a.email);
    const undone = await t.client().post('/api/email-change/undo', { token: undo });
    assert.deepEqual([undone.status, undone.body.error], [409, 'email_taken']);
    assert.equal(await emailOf(a.id), next);
    assert.equal((await a.client.get('/api/session')).status, 200);
  });

  it("undoes a change though the account was moved on again (a thief's second move does not kill the owner's link)", async () => {
    const b = uniqueEmail('b');
    const c = uniqueEmail('c');
    const undoFirst = await confirm(await requestChange(a, b), a.email);
    const undoSecond = await confirm(await requestChange({ ...a, email: b }, c), b);
    assert.equal(await emailOf(a.id), c);
    const done = await t.client().post('/api/email-change/undo', { token: undoFirst });
    assert.deepEqual([done.status, done.body], [200, { email: a.email }]);
    assert.equal((await t.client().post('/api/email-change/undo', { token: undoSecond })).body.error, 'email_change_used', 'undone with it');
  });

  it('a directory account: its email is the directory’s (409 email_managed_by_directory)', async () => {
    // No directory here: the account is marked as one in the database, which is all the service reads.
    await t.s.db.updateTable('users').set({ source: 'directory' }).where('id', '=', a.id).execute();
    assert.deepEqual((await a.client.get('/api/me/email')).body, { email: a.email, managedByDirectory: true });
    const refused = await a.client.post('/api/me/email', { email: uniqueEmail('elsewhere') });
    assert.deepEqual([refused.status, refused.body.error], [409, 'email_managed_by_directory']);
    assert.deepEqual(await t.s.db.selectFrom('email_changes').select('id').where('user_id', '=', a.id).execute(), []);
  });

  it('refuses bad bodies and bad tokens with 400', async () => {
    for (const body of [{}, { email: 'not-an-email' }, { email: uniqueEmail('x'), extra: 1 }, { email: 42 }]) {
      const r = await a.client.post('/api/me/email', body);
      assert.deepEqual([r.status, r.body.error], [400, 'invalid_request'], JSON.stringify(body));
    }
    const same = await a.client.post('/api/me/email', { email: a.email.toUpperCase() });
    assert.deepEqual([same.status, same.body.message], [400, 'This is already your email.']);
    for (const path of ['/api/email-change/confirm', '/api/email-change/undo']) {
      assert.equal((await t.client().post(path, {})).body.error, 'invalid_request');
      assert.equal((await t.client().post(path, { token: 'x'.repeat(101) })).body.error, 'invalid_request');
      for (const token of ['short', 'A'.repeat(43)]) assert.equal((await t.client().post(path, { token })).body.error, 'invalid_email_change');
    }
  });

  it('sends at most 3 requests an hour per account; beyond, the same answer and nothing sent', async () => {
    const other = await account('other');
    const sent = [uniqueEmail('one'), uniqueEmail('two'), uniqueEmail('three')];
    for (const to of sent) await requestChange(a, to);
    const beyond = [uniqueEmail('four'), other.email];
    for (const to of beyond) assert.deepEqual((await a.client.post('/api/me/email', { email: to })).body, { sentTo: to });
    for (const to of beyond) assert.deepEqual(await outboxTo(to), [], `nothing for ${to}`);
    assert.equal((await t.s.db.selectFrom('email_changes').select('id').where('user_id', '=', a.id).execute()).length, 3);

    clock.advance(HOUR);
    assert.equal((await a.client.stepUp(STRONG_PASSWORD)).status, 204);
    const token = await requestChange(a, beyond[0]!);
    await confirm(token, a.email);
    assert.equal(await emailOf(a.id), beyond[0]);
  });
});
