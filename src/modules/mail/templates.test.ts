// The message templates (pure): every kind in both languages, plain text and HTML, values escaped.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAIL_LOCALES, type MailTemplate, renderMail } from './templates.js';

// A fixed instant: this tests how a date is written in each language, not the clock.
const AT = Date.UTC(2026, 10, 29, 6, 0, 1);
const EVERY: MailTemplate[] = [
  { kind: 'password_reset', link: 'https://login.example.com/reset-password?token=abc', minutes: 30 },
  { kind: 'invitation', link: 'https://login.example.com/invitation?token=abc', days: 7 },
  { kind: 'registration', link: 'https://login.example.com/register?token=abc', hours: 24 },
  { kind: 'registration_existing', link: 'https://login.example.com/forgot-password' },
  { kind: 'registration_waiting', email: '<b>new@example.com</b>', link: 'https://login.example.com/admin/users' },
  { kind: 'registration_approved', link: 'https://login.example.com/' },
  { kind: 'new_device', at: AT, address: '203.0.113.9', device: '<script>x</script>' },
  { kind: '2fa_enabled' },
  { kind: '2fa_disabled', by: 'self' },
  { kind: '2fa_disabled', by: 'admin' },
  { kind: '2fa_disabled', by: 'cli' },
  { kind: 'backup_codes_generated' },
  { kind: 'backup_codes_low', left: 2 },
  { kind: 'account_locked', until: AT + 600_000 },
  { kind: 'account_locked', until: null },
  { kind: 'password_changed', how: 'changed' },
  { kind: 'password_changed', how: 'reset' },
  { kind: 'security_key_added', name: 'YubiKey 5' },
  { kind: 'upstream_linked', provider: '<b>Company SSO</b>' },
  { kind: 'email_change_confirm', link: 'https://login.example.com/email-change?token=abc', hours: 24, account: 'ana@example.com' },
  { kind: 'email_change_taken' },
  { kind: 'email_changed', link: 'https://login.example.com/email-change/undo?token=abc', newEmail: '<i>new@example.com</i>', hours: 72 },
];
const SECURITY = 'https://login.example.com/account/security';

describe('mail templates', () => {
  it('renders every kind in English and Spanish, as text and HTML, with its link', () => {
    for (const locale of MAIL_LOCALES) {
      const subjects = new Set<string>();
      for (const template of EVERY) {
        const mail = renderMail(template, locale, { securityUrl: SECURITY });
        subjects.add(mail.subject);
        assert.ok(mail.html.startsWith(`<!doctype html><html lang="${locale}">`));
        // A message with a link of its own (reset, invitation, registration…) points there; notices point at the security page.
        const link = 'link' in template ? template.link : SECURITY;
        assert.ok(mail.text.includes(link) && mail.html.includes(`href="${link}"`), `${template.kind}: links to ${link}`);
        assert.ok(!mail.html.includes('<script>'), 'values are escaped in HTML');
      }
      // One subject per kind: 2FA off and locks share theirs whoever did it; a changed and a reset password differ.
      const kinds = new Set(EVERY.map((t) => (t.kind === 'password_changed' ? `${t.kind}:${t.how}` : t.kind)));
      assert.equal(subjects.size, kinds.size, 'one subject per kind');
    }
    const en = renderMail({ kind: 'security_key_added', name: 'YubiKey 5' }, 'en', { securityUrl: SECURITY });
    const es = renderMail({ kind: 'security_key_added', name: 'YubiKey 5' }, 'es', { securityUrl: SECURITY });
    assert.equal(en.subject, 'A security key was added');
    assert.equal(es.subject, 'Se añadió una llave de seguridad');
    assert.match(
      renderMail({ kind: 'account_locked', until: AT + 600_000 }, 'en', { securityUrl: SECURITY }).text,
      /29 November 2026 at 06:10 UTC|29 November 2026, 06:10 UTC/,
    );
  });

  it('an email change: the confirmation and its hours; a taken address gets no link of its own; the old address sees the new one and the undo link', () => {
    const confirm = { kind: 'email_change_confirm', link: 'https://login.example.com/email-change?token=abc', hours: 24, account: 'ana@example.com' } as const;
    assert.match(renderMail(confirm, 'en', { securityUrl: SECURITY }).text, /works once, for 24 hours/);
    assert.match(renderMail(confirm, 'es', { securityUrl: SECURITY }).text, /sirve una vez y durante 24 horas/);
    for (const locale of MAIL_LOCALES) {
      const taken = renderMail({ kind: 'email_change_taken' }, locale, { securityUrl: SECURITY });
      assert.doesNotMatch(taken.text, /token=/, 'nothing to confirm: the address stays with its account');
      assert.deepEqual(
        [...taken.html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]),
        [SECURITY],
      );
    }
    const changed = {
      kind: 'email_changed',
      link: 'https://login.example.com/email-change/undo?token=abc',
      newEmail: '<i>new@example.com</i>',
      hours: 72,
    } as const;
    const en = renderMail(changed, 'en', { securityUrl: SECURITY });
    assert.match(en.text, /is now <i>new@example\.com<\/i>; this address no longer signs in/);
    assert.match(en.text, /within 72 hours/);
    assert.ok(en.html.includes('&lt;i&gt;new@example.com&lt;/i&gt;'), 'the new address is escaped in HTML');
    const es = renderMail(changed, 'es', { securityUrl: SECURITY });
    assert.equal(es.subject, 'El correo de tu cuenta cambió');
    assert.match(es.text, /en las próximas 72 horas/);
  });

  it('a deleted account: a plain notice in both languages, saying who deleted it, with no link at all', () => {
    const others = new Set(MAIL_LOCALES.flatMap((locale) => EVERY.map((t) => renderMail(t, locale, { securityUrl: SECURITY }).subject)));
    for (const locale of MAIL_LOCALES) {
      const sentences = new Set<string>();
      for (const by of ['admin', 'self', 'cli'] as const) {
        const mail = renderMail({ kind: 'account_deleted', by }, locale, { securityUrl: SECURITY });
        assert.equal(mail.subject, locale === 'es' ? 'Tu cuenta se ha eliminado' : 'Your account was deleted');
        assert.ok(!others.has(mail.subject), 'a subject of its own');
        assert.ok(mail.html.startsWith(`<!doctype html><html lang="${locale}">`));
        assert.doesNotMatch(`${mail.text}${mail.html}`, /https?:|href=/, 'no link: there is no account left to go to');
        sentences.add(mail.text.split('\n')[0]!);
      }
      assert.equal(sentences.size, 3, `${locale}: an administrator, the owner and the command line are told apart`);
    }
    assert.match(
      renderMail({ kind: 'account_deleted', by: 'admin' }, 'en', { securityUrl: SECURITY }).text,
      /^An administrator deleted your Gatehouse account/,
    );
    assert.match(renderMail({ kind: 'account_deleted', by: 'self' }, 'es', { securityUrl: SECURITY }).text, /como pediste en tu página de seguridad/);
  });
});
