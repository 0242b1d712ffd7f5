// The message templates (pure): every kind in both languages, plain text and HTML, values escaped.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAIL_LOCALES, type MailTemplate, renderMail } from './templates.js';

// A fixed instant: this tests how a date is written in each language, not the clock.
const AT = Date.UTC(2026, 10, 29, 6, 0, 1);
const EVERY: MailTemplate[] = [
  { kind: 'password_reset', link: 'https://login.example.com/reset-password?token=abc', minutes: 30 },
  { kind: 'invitation', link: 'https://login.example.com/invitation?token=abc', days: 7 },
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
        const link = template.kind === 'password_reset' || template.kind === 'invitation' ? template.link : SECURITY;
        assert.ok(mail.text.includes(link) && mail.html.includes(`href="${link}"`), `${template.kind}: links to ${link}`);
        assert.ok(!mail.html.includes('<script>'), 'values are escaped in HTML');
      }
      assert.equal(subjects.size, 11, 'one subject per kind (2FA off and locks share theirs; changed and reset differ)');
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
});
