// An administrator without 2FA cannot require it of themselves with no grace left (issue 29): the
// change would restrict their own session to enrolment at the next request, 403 even to turning it
// back off. The server refuses it with enrol_two_factor_first, changes nothing and records nothing;
// with a grace period, or with 2FA on, the same change goes through. On both databases.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { STRONG_PASSWORD, enrolTwoFactor, seedUser, uniqueEmail } from '../../test-support/harness.js';

const DAY = 86_400_000;
const SETTINGS = '/api/admin/settings/authentication';

describeOnEachDialect('require 2FA: the acting administrator cannot lock themselves out', { resetSettings: true }, (suite) => {
  const { clock } = suite;
  const t = suite.app();

  async function adminWithout2fa(existing?: string) {
    const email = existing ?? uniqueEmail('no-2fa-admin');
    if (!existing) await seedUser(t.s, email, 'admin');
    const a = t.client();
    assert.equal((await a.signIn(email)).body.status, 'authenticated');
    assert.equal((await a.stepUp(STRONG_PASSWORD)).status, 204);
    return { a, email };
  }

  it('refuses everyone or admins with grace 0, with its own code; nothing changes, nothing is audited', async () => {
    const { a, email } = await adminWithout2fa();
    for (const require2fa of ['everyone', 'admins'] as const) {
      const r = await a.put(SETTINGS, { require2fa, require2faGraceDays: 0 });
      assert.equal(r.status, 409, JSON.stringify(r.body));
      assert.equal(r.body.error, 'enrol_two_factor_first');
      assert.match(r.body.message, /Enable two-factor authentication on your own account first/);
    }
    assert.equal((await a.get(SETTINGS)).body.require2fa, 'off');
    const session = await a.get('/api/session');
    assert.equal(session.body.user.restricted, undefined, 'still a full session');
    assert.equal(session.body.user.twoFactorRequiredBy, undefined, 'no clock started');
    const audit = await a.get(`/api/admin/audit?kind=settings.changed&account=${encodeURIComponent(email)}`);
    assert.deepEqual(audit.body.events, []);
    // The rest of the settings can still be changed.
    assert.equal((await a.put(SETTINGS, { passwordAttempts: 4 })).status, 200);
  });

  it('allows a grace period, then refuses shortening it past what is left; turning it off always works', async () => {
    const { a: first, email } = await adminWithout2fa();
    assert.equal((await first.put(SETTINGS, { require2fa: 'everyone', require2faGraceDays: 7 })).status, 200);
    assert.equal((await first.put(SETTINGS, { require2faGraceDays: 5 })).status, 200, 'five days still ahead');
    clock.advance(4 * DAY);
    const { a } = await adminWithout2fa(email); // a new sign-in, inside the grace period
    const shorter = await a.put(SETTINGS, { require2faGraceDays: 3 });
    assert.equal(shorter.status, 409, 'three days from the start are already past');
    assert.equal(shorter.body.error, 'enrol_two_factor_first');
    assert.equal((await a.get(SETTINGS)).body.require2faGraceDays, 5);
    assert.equal((await a.put(SETTINGS, { require2fa: 'off' })).status, 200);
  });

  it('an administrator with 2FA may require it of everyone with no grace', async () => {
    const email = uniqueEmail('enrolled-admin');
    await seedUser(t.s, email, 'admin');
    const a = t.client();
    await a.signIn(email);
    await enrolTwoFactor(a);
    const r = await a.put(SETTINGS, { require2fa: 'everyone', require2faGraceDays: 0 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await a.get('/api/admin/users')).status, 200, 'not restricted');
  });
});
