// Step-up and the codes it spends (issue 36), over HTTP on SQLite and PostgreSQL. A right code
// already used is refused as invalid_code with reason code_reused wherever a code is typed, and
// still counts toward the code-attempt limit like any wrong code.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DIALECTS, type TestDatabase } from '../../test-support/databases.js';
import { type Client, STRONG_PASSWORD, resetSettings, seedUser, startTestApp, uniqueEmail, type TestApp } from '../../test-support/harness.js';
import { phoneCode } from '../../test-support/authenticator.js';
import { TOTP_STEP_MS, TestClock } from '../../test-support/clock.js';

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
