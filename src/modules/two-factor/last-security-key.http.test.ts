// Removing the last second factor is turning 2FA off, whichever way it happens (issue 28): removing
// the only security key of an account without the app ends the other sessions, mails the owner and
// is audited as `2fa.disabled`, like "Disable authentication"; removing one of two keys does none of it.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { seedUser, uniqueEmail, type TestApp } from '../../test-support/harness.js';

/** A registered key as the ceremony stores it (the removal never looks at the key material). */
async function storeKey(t: TestApp, userId: string, id: string, now: number): Promise<void> {
  await t.s.db
    .insertInto('webauthn_credentials')
    .values({
      id,
      user_id: userId,
      name: id,
      public_key: 'pQECAyYgASFYIA',
      counter: 0,
      transports: '["usb"]',
      device_type: 'singleDevice',
      backed_up: 0,
      created_at: now,
      last_used_at: null,
    })
    .execute();
}

describeOnEachDialect('removing the last security key', (suite) => {
  const t = suite.app();

  it('turns 2FA off as the owner does: other sessions end, the owner is mailed, 2fa.disabled audited; one of two keys changes nothing else', async () => {
    const email = uniqueEmail('keys');
    const { id: userId } = await seedUser(t.s, email);
    const laptop = t.client();
    const phone = t.client();
    await laptop.signIn(email);
    await phone.signIn(email);
    assert.equal((await laptop.stepUp()).status, 204);
    await storeKey(t, userId, 'key-one', suite.clock.now());
    await storeKey(t, userId, 'key-two', suite.clock.now());
    const mails = async () => (await t.s.db.selectFrom('mail_outbox').select('kind').where('kind', '=', '2fa_disabled').execute()).length;
    const before = await mails();

    assert.equal((await laptop.delete('/api/me/webauthn/key-one')).status, 204);
    assert.equal((await phone.get('/api/session')).status, 200, 'a key is left: 2FA is still on, nothing ends');
    assert.equal((await laptop.get('/api/session')).body.user.twoFactorEnabled, true);

    assert.equal((await laptop.delete('/api/me/webauthn/key-two')).status, 204);
    assert.equal((await laptop.get('/api/session')).body.user.twoFactorEnabled, false);
    assert.equal((await laptop.get('/api/session')).status, 200, 'the session that did it stays');
    assert.equal((await phone.get('/api/session')).status, 401, 'every other session ended');
    assert.equal(await mails(), before + 1, 'the owner is mailed that 2FA is off');
    const events = await t.s.db.selectFrom('audit_events').select(['details']).where('kind', '=', '2fa.disabled').where('subject_id', '=', userId).execute();
    assert.deepEqual(
      events.map((e) => JSON.parse(e.details)),
      [{ by: 'self', via: 'last_security_key' }],
    );
  });
});
