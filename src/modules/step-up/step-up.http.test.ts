// Step-up and the codes it spends (issue 36), over HTTP on SQLite and PostgreSQL. A step-up made
// with a code from the app stands, once and within its window, for the app code that replacing the
// backup codes asks; one made with a backup code or the password alone does not. A right code
// already used is refused as invalid_code with reason code_reused wherever a code is typed, and
// still counts toward the code-attempt limit like any wrong code.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DIALECTS, type TestDatabase } from '../../test-support/databases.js';
import { type Client, STRONG_PASSWORD, resetSettings, seedUser, startTestApp, uniqueEmail, type TestApp } from '../../test-support/harness.js';
import { phoneCode } from '../../test-support/authenticator.js';
import { TOTP_STEP_MS, TestClock } from '../../test-support/clock.js';

const STEP_UP_WINDOW_MS = 10 * 60_000;
const REUSED = 'This code was just used; wait for the next one.';

for (const dialect of DIALECTS) {
  describe(`step-up and the codes it spends on ${dialect.name}`, { skip: dialect.skip }, () => {
    let database: TestDatabase;
    let a: TestApp;
    const clock = new TestClock();

    before(async () => {
      database = await dialect.create();
      a = await startTestApp({ url: database.url, clock: clock.read, masterKey: randomBytes(32) });
    });
    beforeEach(async () => {
      clock.reset();
      await resetSettings([a]);
    });
    after(async () => {
      await a?.close();
      await database?.drop();
    });

    /** An account with 2FA, its session still in the password-only step-up that enrolment needed. */
    async function enrol(label: string): Promise<{ email: string; key: string; codes: string[]; client: Client }> {
      const email = uniqueEmail(label);
      await seedUser(a.s, email);
      const client = a.client();
      assert.equal((await client.signIn(email)).body.status, 'authenticated');
      assert.equal((await client.stepUp()).status, 204);
      const setup = await client.post('/api/me/2fa/setup');
      const enabled = await client.post('/api/me/2fa/enable', { code: phoneCode(setup.body.key, clock.now()) });
      assert.equal(enabled.status, 200);
      return { email, key: setup.body.key, codes: enabled.body.backupCodes, client };
    }

    /** A full sign-in with a fresh code from the app (the clock moves to the next step first). */
    async function signInWithApp(email: string, key: string): Promise<Client> {
      const client = a.client();
      assert.equal((await client.signIn(email)).body.status, 'second_factor_required');
      clock.advance(TOTP_STEP_MS);
      assert.equal((await client.post('/api/session/second-factor', { code: phoneCode(key, clock.now()) })).status, 200);
      return client;
    }

    const left = async (client: Client) => (await client.get('/api/me/2fa')).body.backupCodesLeft as number;

    it("replaces the backup codes with the step-up's app code alone: once, in that session, within its window", async () => {
      const { email, key, codes, client } = await enrol('one-code');
      const passwordOnly = await client.post('/api/me/2fa/backup-codes', {});
      assert.equal(passwordOnly.status, 400, 'the step-up before enrolment proved the password alone');
      assert.equal(passwordOnly.body.error, 'invalid_code');

      clock.advance(TOTP_STEP_MS);
      const code = phoneCode(key, clock.now());
      assert.equal((await client.stepUp(STRONG_PASSWORD, code)).status, 204);
      const other = await signInWithApp(email, key);
      assert.equal((await other.post('/api/me/2fa/backup-codes', {})).body.error, 'reauthentication_required', "another session's step-up is not this one's");
      const fresh = await client.post('/api/me/2fa/backup-codes', {});
      assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
      assert.equal(fresh.body.backupCodes.length, 10);
      assert.ok(!fresh.body.backupCodes.includes(codes[0]));
      const kinds = await a.s.db.selectFrom('audit_events').select('kind').where('subject_email', '=', email).execute();
      assert.equal(kinds.filter((e) => e.kind === '2fa.backup_codes_generated').length, 1);
      assert.equal(kinds.filter((e) => e.kind === '2fa.code_replay_refused').length, 0, 'the code was spent once, by the step-up');

      const again = await client.post('/api/me/2fa/backup-codes', {});
      assert.equal(again.status, 400, 'one app code, one replacement');
      assert.equal(again.body.error, 'invalid_code');
      const reused = await client.post('/api/me/2fa/backup-codes', { code });
      assert.equal(reused.status, 400);
      assert.equal(reused.body.reason, 'code_reused');
      clock.advance(TOTP_STEP_MS);
      assert.equal(
        (await client.post('/api/me/2fa/backup-codes', { code: phoneCode(key, clock.now()) })).status,
        200,
        'the window is open: the inline code alone',
      );

      // A proof left unspent closes with its window.
      clock.advance(TOTP_STEP_MS);
      assert.equal((await client.stepUp(STRONG_PASSWORD, phoneCode(key, clock.now()))).status, 204);
      clock.advance(STEP_UP_WINDOW_MS);
      assert.equal((await client.post('/api/me/2fa/backup-codes', {})).body.error, 'reauthentication_required');
    });

    it('needs an app code after a step-up with a backup code, even one that followed a step-up with the app', async () => {
      const { key, codes, client } = await enrol('backup-step-up');
      clock.advance(TOTP_STEP_MS);
      assert.equal((await client.stepUp(STRONG_PASSWORD, phoneCode(key, clock.now()))).status, 204);
      assert.equal((await client.stepUp(STRONG_PASSWORD, codes[0])).status, 204);
      const refused = await client.post('/api/me/2fa/backup-codes', {});
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, 'invalid_code');
      assert.equal(refused.body.reason, undefined);
      assert.equal(await left(client), 9, 'nothing replaced');
      clock.advance(TOTP_STEP_MS);
      const withApp = await client.post('/api/me/2fa/backup-codes', { code: phoneCode(key, clock.now()) });
      assert.equal(withApp.status, 200);
      assert.equal(await left(client), 10);
      assert.equal((await client.post('/api/me/2fa/backup-codes', { code: codes[1] })).body.error, 'invalid_code', 'a backup code is still refused here');
    });

    it('refuses a code-less replacement without a step-up, and without 2FA', async () => {
      const { email, key } = await enrol('no-step-up');
      const fresh = await signInWithApp(email, key);
      assert.equal((await fresh.post('/api/me/2fa/backup-codes', {})).body.error, 'reauthentication_required', 'signing in is no step-up');
      const plain = uniqueEmail('plain');
      await seedUser(a.s, plain);
      const c = a.client();
      await c.signIn(plain);
      await c.stepUp();
      assert.equal((await c.post('/api/me/2fa/backup-codes', {})).body.error, 'not_enabled');
    });

    it('says code_reused for a right code already used, at the second step, step-up, new codes and password reset', async () => {
      await resetSettings([a], { codeAttempts: 10 }); // five refusals on one account, none of them about the lock
      const { email, key, client } = await enrol('reused');
      const userId = (await a.s.users.findByEmail(email))!.id;
      const used = phoneCode(key, clock.now()); // the enrolment's code
      const wrong = used === '000000' ? '111111' : '000000';

      const step = a.client();
      await step.signIn(email);
      const second = await step.post('/api/session/second-factor', { code: used });
      assert.equal(second.status, 401);
      assert.deepEqual([second.body.error, second.body.reason, second.body.message, second.body.attemptsLeft], ['invalid_code', 'code_reused', REUSED, 9]);
      const wrongAnswer = await step.post('/api/session/second-factor', { code: wrong });
      assert.deepEqual([wrongAnswer.body.error, wrongAnswer.body.reason, wrongAnswer.body.attemptsLeft], ['invalid_code', undefined, 8]);

      const stepUp = await client.stepUp(STRONG_PASSWORD, used);
      assert.deepEqual([stepUp.status, stepUp.body.error, stepUp.body.reason, stepUp.body.message], [401, 'invalid_code', 'code_reused', REUSED]);
      assert.equal((await client.stepUp(STRONG_PASSWORD, wrong)).body.reason, undefined);

      const inline = await client.post('/api/me/2fa/backup-codes', { code: used });
      assert.deepEqual([inline.status, inline.body.error, inline.body.reason], [400, 'invalid_code', 'code_reused']);

      const reset = await a.s.resets.sendByAdmin('cli', userId, null);
      assert.ok('link' in reset);
      const token = new URL(reset.link).searchParams.get('token');
      const completion = await a.client().post('/api/password-reset/complete', { token, newPassword: 'a-brand-new-passphrase-77', code: used });
      assert.deepEqual([completion.body.error, completion.body.reason], ['invalid_code', 'code_reused']);
    });

    it('counts reused codes toward the code limit as before, and the lock refuses the right code too', async () => {
      await resetSettings([a], { codeAttempts: 2 });
      const { key, client } = await enrol('reused-limit');
      const used = phoneCode(key, clock.now());
      assert.equal((await client.post('/api/me/2fa/backup-codes', { code: used })).body.reason, 'code_reused');
      assert.equal((await client.post('/api/me/2fa/backup-codes', { code: used })).body.reason, 'code_reused');
      const locked = await client.post('/api/me/2fa/backup-codes', { code: phoneCode(key, clock.now() + TOTP_STEP_MS) });
      assert.equal(locked.status, 429);
      assert.equal(locked.body.error, 'locked');
    });
  });
}
