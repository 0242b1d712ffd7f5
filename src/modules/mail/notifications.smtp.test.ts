// Security notifications, received by a real SMTP server (smtp-server on loopback), in the
// account's language (English and Spanish), each linking to the security page and carrying no
// secret: a new device, 2FA on, new backup codes, few backup codes left, a lock, the password
// changed, 2FA off by the owner and by an administrator, the password reset. SQLite and PostgreSQL.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { Client, STRONG_PASSWORD, seedUser, type TestApp } from '../../test-support/harness.js';
import { phoneCode } from '../../test-support/authenticator.js';
import { matching, startSmtp, type TestSmtp, tokenOf } from '../../test-support/smtp.js';

const PUBLIC_URL = 'http://login.example.com';
const CHANGED_PASSWORD = 'another-long-passphrase-31';

const SUBJECTS = {
  en: {
    newDevice: 'New sign-in to your account',
    twoFactorOn: 'Two-factor authentication turned on',
    codesGenerated: 'New backup codes',
    codesLow: 'Few backup codes left',
    locked: 'Your account was locked after failed attempts',
    passwordChanged: 'Your password was changed',
    twoFactorOff: 'Two-factor authentication turned off',
    reset: 'Reset your password',
    passwordReset: 'Your password was reset',
  },
  es: {
    newDevice: 'Nuevo inicio de sesión en tu cuenta',
    twoFactorOn: 'Autenticación en dos pasos activada',
    codesGenerated: 'Nuevos códigos de respaldo',
    codesLow: 'Te quedan pocos códigos de respaldo',
    locked: 'Tu cuenta se bloqueó tras intentos fallidos',
    passwordChanged: 'Tu contraseña cambió',
    twoFactorOff: 'Autenticación en dos pasos desactivada',
    reset: 'Restablece tu contraseña',
    passwordReset: 'Tu contraseña se restableció',
  },
} as const;
const BY_ADMIN = { en: /by an administrator/, es: /por un administrador/ };
const BY_SELF = { en: /from your own account/, es: /desde tu propia cuenta/ };

describeOnEachDialect('security notifications', (suite) => {
  const { clock } = suite;
  let smtp: TestSmtp;
  let t: TestApp;

  before(async () => {
    smtp = await startSmtp();
    t = await suite.startApp({ mailPollMs: 20, env: { GATEHOUSE_SMTP_URL: smtp.url, GATEHOUSE_PUBLIC_URL: PUBLIC_URL } });
    await seedUser(t.s, 'chief@example.com', 'admin');
  });
  // The app first, so that its mail worker has stopped when the SMTP server goes.
  after(async () => {
    await t?.close();
    await smtp?.stop();
  });

  for (const locale of ['en', 'es'] as const) {
    it(`sends each notice in the account's language (${locale}), linking to the security page, with no secret`, async () => {
      const email = `person-${locale}@example.com`;
      const subjects = SUBJECTS[locale];
      const user = await seedUser(t.s, email);
      const secrets: string[] = [STRONG_PASSWORD, CHANGED_PASSWORD];
      const wait = (subject: string, count = 1) => smtp.waitFor(count, { to: email, subject });

      // The language the UI sets, then a sign-in from a browser without this account's device cookie.
      const first = new Client(t.app);
      await first.signIn(email);
      await smtp.waitFor(1, { to: email, subject: SUBJECTS.en.newDevice });
      const start = smtp.received.length; // from here on, in the account's language
      assert.equal((await first.put('/api/me/locale', { locale })).status, 204);
      assert.equal((await first.put('/api/me/locale', { locale: 'fr' })).status, 400);
      const owner = new Client(t.app);
      await owner.signIn(email);
      await wait(subjects.newDevice, locale === 'en' ? 2 : 1);

      assert.equal((await owner.stepUp(STRONG_PASSWORD)).status, 204, 'changing the password and the factors needs a step-up');
      assert.equal((await owner.post('/api/me/password', { currentPassword: STRONG_PASSWORD, newPassword: CHANGED_PASSWORD })).status, 204);
      await wait(subjects.passwordChanged);

      const setup = await owner.post('/api/me/2fa/setup');
      secrets.push(setup.body.key);
      const enabled = await owner.post('/api/me/2fa/enable', { code: phoneCode(setup.body.key, clock.now()) });
      assert.equal(enabled.status, 200);
      await wait(subjects.twoFactorOn);
      clock.advance(30_000);
      const replaced = await owner.post('/api/me/2fa/backup-codes', { code: phoneCode(setup.body.key, clock.now()) });
      assert.equal(replaced.status, 200);
      const codes: string[] = replaced.body.backupCodes;
      secrets.push(...enabled.body.backupCodes, ...codes);
      await wait(subjects.codesGenerated);

      // Seven backup codes used: the notice comes when 3 are left (and again at 2, 1, 0 — not before).
      for (const code of codes.slice(0, 7)) {
        const c = new Client(t.app);
        assert.equal((await c.signIn(email, CHANGED_PASSWORD)).body.status, 'second_factor_required');
        assert.equal((await c.post('/api/session/second-factor', { code })).status, 200);
      }
      const [low] = await wait(subjects.codesLow);
      assert.equal(matching(smtp.received, { to: email, subject: subjects.codesLow }).length, 1);
      assert.match(low!.text, /\b3\b/);

      // Five wrong passwords: locked ("someone knows your password").
      for (let i = 0; i < 5; i += 1) await new Client(t.app).signIn(email, `wrong-password-${i}-xyz`);
      await wait(subjects.locked);
      clock.advance(11 * 60_000);

      // The step-up window has closed: the password and a code again.
      assert.equal((await owner.stepUp(CHANGED_PASSWORD, phoneCode(setup.body.key, clock.now()))).status, 204);
      assert.equal((await owner.post('/api/me/2fa/disable', { password: CHANGED_PASSWORD })).status, 204);
      const [offBySelf] = await wait(subjects.twoFactorOff);
      assert.match(offBySelf!.text, BY_SELF[locale]);

      const again = await owner.post('/api/me/2fa/setup');
      clock.advance(30_000);
      assert.equal((await owner.post('/api/me/2fa/enable', { code: phoneCode(again.body.key, clock.now()) })).status, 200);
      secrets.push(again.body.key);
      const admin = new Client(t.app);
      await admin.signIn('chief@example.com');
      await admin.stepUp();
      assert.equal((await admin.post(`/api/admin/users/${user.id}/2fa/disable`)).status, 204);
      const offs = await wait(subjects.twoFactorOff, 2);
      assert.match(offs[1]!.text, BY_ADMIN[locale]);

      await new Client(t.app).post('/api/password-reset', { email });
      const [reset] = await wait(subjects.reset);
      const token = tokenOf(reset!.text);
      assert.equal((await new Client(t.app).post('/api/password-reset/complete', { token, newPassword: 'third-long-passphrase-64' })).status, 200);
      await wait(subjects.passwordReset);

      const mine = matching(smtp.received.slice(start), { to: email });
      const expected = [
        ...Array(8).fill(subjects.newDevice), // the owner's browser, then the 7 sign-ins with backup codes
        subjects.passwordChanged,
        subjects.twoFactorOn,
        subjects.codesGenerated,
        subjects.codesLow,
        subjects.locked,
        subjects.twoFactorOff,
        subjects.twoFactorOn,
        subjects.twoFactorOff,
        subjects.reset,
        subjects.passwordReset,
      ];
      assert.deepEqual(mine.map((m) => m.subject).sort(), expected.sort(), 'each notice once, nothing else');
      for (const mail of mine) {
        assert.equal(mail.language, locale, `${mail.subject}: in the account's language`);
        assert.ok(mail.text.trim().length > 0 && mail.html.includes('<a href='), `${mail.subject}: plain text and HTML`);
        for (const secret of secrets) {
          assert.ok(!mail.text.includes(secret) && !mail.html.includes(secret), `${mail.subject}: carries no secret`);
        }
        if (mail.subject === subjects.reset) continue;
        assert.ok(mail.text.includes(`${PUBLIC_URL}/account/security`), `${mail.subject}: links to the security page`);
        assert.ok(!mail.text.includes('reset-password?token='), `${mail.subject}: no reset link`);
      }
      assert.ok(
        mine.every((m) => m.from.startsWith('no-reply@')),
        'the default sender',
      );
    });
  }
});
