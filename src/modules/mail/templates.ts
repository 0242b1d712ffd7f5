// The messages Gatehouse sends, in English and Spanish, as plain text and HTML. Pure: the caller
// passes every value. No message carries a secret other than the reset and invitation links, whose
// whole purpose is to be one (and which are encrypted while they wait in the outbox).
export type MailLocale = 'en' | 'es';
export const MAIL_LOCALES: readonly MailLocale[] = ['en', 'es'];

export type MailTemplate =
  | { kind: 'password_reset'; link: string; minutes: number }
  | { kind: 'invitation'; link: string; days: number }
  | { kind: 'new_device'; at: number; address: string | null; device: string }
  | { kind: '2fa_enabled' }
  | { kind: '2fa_disabled'; by: 'self' | 'admin' | 'cli' }
  | { kind: 'backup_codes_generated' }
  | { kind: 'backup_codes_low'; left: number }
  | { kind: 'account_locked'; until: number | null }
  | { kind: 'password_changed'; how: 'changed' | 'reset' }
  | { kind: 'security_key_added'; name: string };

export type MailKind = MailTemplate['kind'];

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export function toMailLocale(value: string | null | undefined): MailLocale {
  return value === 'es' ? 'es' : 'en';
}

// Made once: toLocaleString builds a new formatter (locale data and all) on every call, which a
// profile of sign-ins (each from a new browser sends a notice) showed as a real cost.
const WHEN_FORMATS: Record<MailLocale, Intl.DateTimeFormat> = {
  en: new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', dateStyle: 'long', timeStyle: 'short' }),
  es: new Intl.DateTimeFormat('es-ES', { timeZone: 'UTC', dateStyle: 'long', timeStyle: 'short' }),
};

function when(ms: number, locale: MailLocale): string {
  return `${WHEN_FORMATS[locale].format(new Date(ms))} UTC`;
}

interface Parts {
  subject: string;
  lines: string[];
  /** The button/link: the reset link, or the security page. */
  action: { label: string; url: string };
}

const SECURITY = { en: 'Review your account security', es: 'Revisar la seguridad de tu cuenta' };
const NOT_YOU = {
  en: 'If this was not you, change your password now and review your account.',
  es: 'Si no has sido tú, cambia tu contraseña ahora y revisa tu cuenta.',
};

function parts(t: MailTemplate, locale: MailLocale, securityUrl: string): Parts {
  const es = locale === 'es';
  const security = { label: SECURITY[locale], url: securityUrl };
  switch (t.kind) {
    case 'password_reset':
      return {
        subject: es ? 'Restablece tu contraseña' : 'Reset your password',
        lines: es
          ? [
              `Alguien pidió restablecer la contraseña de esta cuenta. El enlace sirve una vez y durante ${t.minutes} minutos.`,
              'Si no lo pediste tú, ignora este mensaje: tu contraseña no cambia.',
            ]
          : [
              `Someone asked to reset the password of this account. The link works once, for ${t.minutes} minutes.`,
              'If you did not ask for it, ignore this message: your password stays as it is.',
            ],
        action: { label: es ? 'Elegir una contraseña nueva' : 'Choose a new password', url: t.link },
      };
    case 'invitation':
      return {
        subject: es ? 'Te han invitado a Gatehouse' : 'You are invited to Gatehouse',
        lines: es
          ? [
              `Te han creado una invitación. Con el enlace eliges tu contraseña; sirve una vez y durante ${t.days} ${t.days === 1 ? 'día' : 'días'}.`,
              'Si no esperabas esta invitación, ignora este mensaje: no se crea ninguna cuenta.',
            ]
          : [
              `You have been invited. The link lets you choose your password; it works once, for ${t.days} ${t.days === 1 ? 'day' : 'days'}.`,
              'If you did not expect this invitation, ignore this message: no account is created.',
            ],
        action: { label: es ? 'Aceptar la invitación' : 'Accept the invitation', url: t.link },
      };
    case 'new_device':
      return {
        subject: es ? 'Nuevo inicio de sesión en tu cuenta' : 'New sign-in to your account',
        lines: [
          es
            ? `Se inició sesión en tu cuenta desde un dispositivo nuevo el ${when(t.at, locale)}.`
            : `Your account was signed in to from a new device on ${when(t.at, locale)}.`,
          `${es ? 'Dispositivo' : 'Device'}: ${t.device || (es ? 'desconocido' : 'unknown')}`,
          `${es ? 'Dirección' : 'Address'}: ${t.address ?? (es ? 'desconocida' : 'unknown')}`,
          NOT_YOU[locale],
        ],
        action: security,
      };
    case '2fa_enabled':
      return {
        subject: es ? 'Autenticación en dos pasos activada' : 'Two-factor authentication turned on',
        lines: [es ? 'La autenticación en dos pasos está activada en tu cuenta.' : 'Two-factor authentication is now on for your account.', NOT_YOU[locale]],
        action: security,
      };
    case '2fa_disabled': {
      const who = {
        self: es ? 'desde tu propia cuenta' : 'from your own account',
        admin: es ? 'por un administrador' : 'by an administrator',
        cli: es ? 'por un administrador desde la línea de comandos del servidor' : "by an administrator on the server's command line",
      }[t.by];
      return {
        subject: es ? 'Autenticación en dos pasos desactivada' : 'Two-factor authentication turned off',
        lines: [es ? `La autenticación en dos pasos se ha desactivado ${who}.` : `Two-factor authentication was turned off ${who}.`, NOT_YOU[locale]],
        action: security,
      };
    }
    case 'backup_codes_generated':
      return {
        subject: es ? 'Nuevos códigos de respaldo' : 'New backup codes',
        lines: [
          es ? 'Se generaron nuevos códigos de respaldo; los anteriores ya no sirven.' : 'New backup codes were generated; the earlier ones no longer work.',
          NOT_YOU[locale],
        ],
        action: security,
      };
    case 'backup_codes_low':
      return {
        subject: es ? 'Te quedan pocos códigos de respaldo' : 'Few backup codes left',
        lines: [
          es ? `Se usó un código de respaldo; quedan ${t.left}.` : `A backup code was used; ${t.left} ${t.left === 1 ? 'is' : 'are'} left.`,
          es ? 'Genera códigos nuevos antes de quedarte sin ninguno.' : 'Generate new codes before you run out.',
        ],
        action: security,
      };
    case 'account_locked':
      return {
        subject: es ? 'Tu cuenta se bloqueó tras intentos fallidos' : 'Your account was locked after failed attempts',
        lines: [
          t.until === null
            ? es
              ? 'Tu cuenta está bloqueada hasta que un administrador la desbloquee.'
              : 'Your account is locked until an administrator unlocks it.'
            : es
              ? `Tu cuenta está bloqueada hasta el ${when(t.until, locale)} tras varios intentos fallidos.`
              : `Your account is locked until ${when(t.until, locale)} after several failed attempts.`,
          es ? 'Si no fuiste tú, alguien puede conocer tu contraseña: cámbiala.' : 'If this was not you, someone may know your password: change it.',
        ],
        action: security,
      };
    case 'password_changed':
      return {
        subject:
          t.how === 'reset' ? (es ? 'Tu contraseña se restableció' : 'Your password was reset') : es ? 'Tu contraseña cambió' : 'Your password was changed',
        lines: [
          t.how === 'reset'
            ? es
              ? 'La contraseña de tu cuenta se restableció con un enlace enviado a este correo; se cerraron todas las sesiones.'
              : 'The password of your account was reset with a link sent to this address; every session was signed out.'
            : es
              ? 'La contraseña de tu cuenta cambió.'
              : 'The password of your account was changed.',
          NOT_YOU[locale],
        ],
        action: security,
      };
    case 'security_key_added':
      return {
        subject: es ? 'Se añadió una llave de seguridad' : 'A security key was added',
        lines: [es ? `Se añadió la llave de seguridad «${t.name}» a tu cuenta.` : `The security key "${t.name}" was added to your account.`, NOT_YOU[locale]],
        action: security,
      };
  }
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function renderMail(template: MailTemplate, locale: MailLocale, links: { securityUrl: string }): RenderedMail {
  const p = parts(template, locale, links.securityUrl);
  const text = [...p.lines, '', `${p.action.label}: ${p.action.url}`, '', '— Gatehouse', ''].join('\n');
  const html = [
    `<!doctype html><html lang="${locale}"><body style="font-family:sans-serif">`,
    ...p.lines.map((line) => `<p>${escapeHtml(line)}</p>`),
    `<p><a href="${escapeHtml(p.action.url)}">${escapeHtml(p.action.label)}</a></p>`,
    '<p>— Gatehouse</p></body></html>',
  ].join('\n');
  return { subject: p.subject, text, html };
}
