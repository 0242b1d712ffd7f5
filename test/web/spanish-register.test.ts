// Spanish speaks to the person one way (issue 29): *tú*, never *usted*, and names 2FA one way,
// "autenticación en dos pasos". Checked over every Spanish text people see: the web UI's locale
// file, every mail in Spanish, the forward-auth refusal page and the pages oidc-provider renders.
// Sentences about someone else (an administrator reading about an account) use the third person,
// which shares some forms with *usted*, so those texts avoid the ambiguous ones too ("le", "su cuenta").
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { type MailTemplate, renderMail } from '../../src/modules/mail/templates.js';

const USTED: RegExp[] = [
  /\busted(es)?\b/i,
  /\ble\b/i, // "le bloquean", "no le deja entrar": to the person, *te*
  /\bsus? (cuenta|contraseña|código|códigos|sesión|llave|grupos|aplicación|dirección|nombre)\b/i, // *tu*, *tus*
  /\b(introduzca|escriba|pulse|haga|confirme|cambie|copie|añada|elija|vuelva|indique|espere|compruebe|guarde|escanee|instale|genere|revise)\b/i,
  /\b(actívela|desactívela|quítelas?|nómbrelo|restrinja|indíqueles|iníciela|active)\b/i,
  /\b(ha|ya ha) (iniciado|cerrado|completado)\b/i, // *has*
  /¿quiere\b/i,
  /\bes usted\b/i,
];
const OTHER_2FA_NAMES = [/verificación en (dos|2) pasos/i, /doble factor/i, /autenticación de dos factores/i, /verificación de dos pasos/i];

function stringsOf(value: unknown, path = ''): Array<[string, string]> {
  if (typeof value === 'string') return [[path, value]];
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringsOf(v, path ? `${path}.${k}` : k));
  return [];
}

/** The Spanish block (`es: { … }`) of a source file's TEXT table, as written. */
function spanishBlock(file: string): string {
  const source = fs.readFileSync(new URL(`../../src/modules/${file}`, import.meta.url), 'utf8');
  const start = source.indexOf('\n  es: {');
  assert.ok(start > 0, `${file} has a Spanish block`);
  return source.slice(start, source.indexOf('\n  },', start));
}

const MAILS: MailTemplate[] = [
  { kind: 'password_reset', link: 'https://login.example.com/reset#t', minutes: 30 },
  { kind: 'new_device', at: 0, address: '203.0.113.9', device: 'Firefox 133' },
  { kind: '2fa_enabled' },
  { kind: '2fa_disabled', by: 'self' },
  { kind: '2fa_disabled', by: 'admin' },
  { kind: '2fa_disabled', by: 'cli' },
  { kind: 'backup_codes_generated' },
  { kind: 'backup_codes_low', left: 2 },
  { kind: 'account_locked', until: null },
  { kind: 'account_locked', until: 0 },
  { kind: 'password_changed', how: 'changed' },
  { kind: 'password_changed', how: 'reset' },
  { kind: 'security_key_added', name: 'YubiKey' },
  { kind: 'email_change_confirm', link: 'https://login.example.com/email-change?token=x', hours: 24, account: 'ana@example.com' },
  { kind: 'email_change_taken' },
  { kind: 'email_changed', link: 'https://login.example.com/email-change/undo?token=x', newEmail: 'nina@example.com', hours: 72 },
  { kind: 'registration', link: 'https://login.example.com/register?token=x', hours: 24 },
  { kind: 'registration_existing', link: 'https://login.example.com/forgot-password' },
  { kind: 'registration_waiting', email: 'nina@example.com', link: 'https://login.example.com/admin/users' },
  { kind: 'registration_approved', link: 'https://login.example.com/' },
  { kind: 'account_deleted', by: 'admin' },
  { kind: 'account_deleted', by: 'self' },
  { kind: 'account_deleted', by: 'cli' },
];

const texts: Array<[where: string, text: string]> = [
  ...stringsOf(JSON.parse(fs.readFileSync(new URL('../../web/src/locales/es.json', import.meta.url), 'utf8'))).map(
    ([key, text]) => [`es.json ${key}`, text] as [string, string],
  ),
  ...MAILS.map((mail) => {
    const rendered = renderMail(mail, 'es', { securityUrl: 'https://login.example.com/account' });
    return [`mail ${mail.kind}`, `${rendered.subject}\n${rendered.text}`] as [string, string];
  }),
  ['forward-auth/refusal-page.ts', spanishBlock('forward-auth/refusal-page.ts')],
  ['oidc/pages.ts', spanishBlock('oidc/pages.ts')],
];

describe('Spanish: one register (tú) and one name for 2FA', () => {
  it('reads enough Spanish to mean something', () => {
    assert.ok(texts.length > 400, String(texts.length));
    assert.ok(texts.some(([, text]) => text.includes('autenticación en dos pasos')));
  });

  it('never addresses the person as usted', () => {
    const found = texts.flatMap(([where, text]) => USTED.filter((pattern) => pattern.test(text)).map((pattern) => `${where}: ${pattern} in "${text}"`));
    assert.deepEqual(found, []);
  });

  it('calls 2FA only "autenticación en dos pasos"', () => {
    const found = texts.flatMap(([where, text]) =>
      OTHER_2FA_NAMES.filter((pattern) => pattern.test(text)).map((pattern) => `${where}: ${pattern} in "${text}"`),
    );
    assert.deepEqual(found, []);
  });
});
