// The messages Gatehouse sends, in English and Spanish, as plain text and HTML. Pure: the caller
// passes every value. No message carries a secret other than the reset, invitation and registration links, and
// an email change's two (the confirmation to the new address, the undo to the old), whose
// whole purpose is to be one (and which are encrypted while they wait in the outbox).
export type MailLocale = 'en' | 'es';
export const MAIL_LOCALES: readonly MailLocale[] = ['en', 'es'];

export type MailTemplate =
  | { kind: 'password_reset'; link: string; minutes: number }
  | { kind: 'invitation'; link: string; days: number }
  | { kind: 'registration'; link: string; hours: number }
  | { kind: 'registration_existing'; link: string }
  | { kind: 'registration_waiting'; email: string; link: string }
  | { kind: 'registration_approved'; link: string }
  | { kind: 'new_device'; at: number; address: string | null; device: string }
  | { kind: '2fa_enabled' }
  | { kind: '2fa_disabled'; by: 'self' | 'admin' | 'cli' }
  | { kind: 'backup_codes_generated' }
  | { kind: 'backup_codes_low'; left: number }
  | { kind: 'account_locked'; until: number | null }
  | { kind: 'password_changed'; how: 'changed' | 'reset' }
  | { kind: 'security_key_added'; name: string }
  | { kind: 'upstream_linked'; provider: string }
  | { kind: 'account_deleted'; by: 'admin' | 'self' | 'cli' }
  | { kind: 'email_change_confirm'; link: string; hours: number; account: string }
  | { kind: 'email_change_taken' }
  | { kind: 'email_changed'; link: string; newEmail: string; hours: number };

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
  /** The button/link: the reset link, or the security page; none for a notice with nowhere to go (a deleted account). */
  action?: { label: string; url: string };
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
    case 'registration':
      return {
        subject: es ? 'Confirma tu dirección para crear tu cuenta' : 'Confirm your address to create your account',
        lines: es
          ? [
              `Alguien pidió crear una cuenta con esta dirección. Con el enlace la confirmas y eliges tu contraseña; sirve una vez y durante ${t.hours} horas.`,
              'Si no lo pediste tú, ignora este mensaje: no se crea ninguna cuenta.',
            ]
          : [
              `Someone asked to create an account with this address. The link confirms it and lets you choose your password; it works once, for ${t.hours} hours.`,
              'If you did not ask for it, ignore this message: no account is created.',
            ],
        action: { label: es ? 'Confirmar y crear la cuenta' : 'Confirm and create the account', url: t.link },
      };
    case 'registration_existing':
      return {
        subject: es ? 'Ya tienes una cuenta' : 'You already have an account',
        lines: es
          ? [
              'Alguien pidió crear una cuenta con esta dirección, pero ya tienes una: no se ha creado otra.',
              'Si olvidaste tu contraseña, puedes elegir una nueva. Si no lo pediste tú, ignora este mensaje.',
            ]
          : [
              'Someone asked to create an account with this address, but you already have one: no other was created.',
              'If you forgot your password, you can choose a new one. If you did not ask for this, ignore this message.',
            ],
        action: { label: es ? 'Elegir una contraseña nueva' : 'Choose a new password', url: t.link },
      };
    case 'registration_waiting':
      return {
        subject: es ? 'Una cuenta nueva espera tu aprobación' : 'A new account is waiting for your approval',
        lines: es
          ? [`${t.email} se ha registrado y no podrá iniciar sesión hasta que un administrador apruebe la cuenta.`]
          : [`${t.email} has registered and cannot sign in until an administrator approves the account.`],
        action: { label: es ? 'Revisar los usuarios' : 'Review the users', url: t.link },
      };
    case 'registration_approved':
      return {
        subject: es ? 'Tu cuenta está aprobada' : 'Your account is approved',
        lines: es ? ['Un administrador ha aprobado tu cuenta: ya puedes iniciar sesión.'] : ['An administrator approved your account: you can sign in now.'],
        action: { label: es ? 'Iniciar sesión' : 'Sign in', url: t.link },
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
    case 'upstream_linked':
      // A link is a way in like a password: the owner hears of it, and the security page removes it.
      return {
        subject: es ? 'Se vinculó un proveedor de inicio de sesión' : 'A sign-in provider was linked',
        lines: [
          es ? `Ahora se puede iniciar sesión en tu cuenta con «${t.provider}».` : `Your account can now be signed in to with "${t.provider}".`,
          NOT_YOU[locale],
        ],
        action: security,
      };
    case 'account_deleted': {
      // Plain: no link, as no account is left to go to (and a link in such a mail is what phishing looks like).
      const how = {
        admin: es
          ? 'Un administrador ha eliminado tu cuenta de Gatehouse con esta dirección.'
          : 'An administrator deleted your Gatehouse account with this address.',
        self: es
          ? 'Tu cuenta de Gatehouse con esta dirección se ha eliminado, como pediste en tu página de seguridad.'
          : 'Your Gatehouse account with this address was deleted, as you asked on your security page.',
        cli: es
          ? 'Un administrador ha eliminado tu cuenta de Gatehouse con esta dirección desde la línea de comandos del servidor.'
          : "An administrator deleted your Gatehouse account with this address on the server's command line.",
      }[t.by];
      return {
        subject: es ? 'Tu cuenta se ha eliminado' : 'Your account was deleted',
        lines: [
          how,
          es
            ? 'Se cerraron todas las sesiones y se quitaron la contraseña y los demás métodos de inicio de sesión: ya no puedes entrar con ella.'
            : 'Every session was signed out and the password and other sign-in methods were removed: you can no longer sign in with it.',
          es ? 'Si no lo esperabas, habla con el administrador de Gatehouse.' : 'If you did not expect this, talk to the administrator of Gatehouse.',
        ],
      };
    }
    // An email change: the link to the new address confirms it; a taken address only hears of the
    // attempt; the old address is told, with a link that undoes the change for a while.
    case 'email_change_confirm':
      return {
        subject: es ? 'Confirma tu nueva dirección de correo' : 'Confirm your new email address',
        lines: es
          ? [
              `Alguien pidió que esta dirección sea el correo de la cuenta de Gatehouse ${t.account}. El enlace lo confirma; sirve una vez y durante ${t.hours} horas.`,
              'Si no lo pediste tú, ignora este mensaje: no cambia nada.',
            ]
          : [
              `Someone asked to make this address the email of the Gatehouse account ${t.account}. The link confirms it; it works once, for ${t.hours} hours.`,
              'If you did not ask for it, ignore this message: nothing changes.',
            ],
        action: { label: es ? 'Confirmar la nueva dirección' : 'Confirm the new address', url: t.link },
      };
    case 'email_change_taken':
      return {
        subject: es ? 'Alguien intentó usar tu dirección de correo' : 'Someone tried to use your email address',
        lines: es
          ? [
              'Alguien con otra cuenta de Gatehouse intentó cambiar su correo a esta dirección, que ya es la de tu cuenta.',
              'No ha cambiado nada: tu cuenta sigue con esta dirección y no tienes que hacer nada.',
            ]
          : [
              'Someone with another Gatehouse account tried to change its email to this address, which your account already has.',
              'Nothing changed: your account keeps this address, and you need do nothing.',
            ],
        action: security,
      };
    case 'email_changed':
      return {
        subject: es ? 'El correo de tu cuenta cambió' : 'The email of your account was changed',
        lines: es
          ? [
              `El correo de tu cuenta es ahora ${t.newEmail}; esta dirección ya no sirve para iniciar sesión.`,
              `Si no has sido tú, deshaz el cambio con el enlace en las próximas ${t.hours} horas: vuelve a poner esta dirección y cierra todas las sesiones.`,
            ]
          : [
              `The email of your account is now ${t.newEmail}; this address no longer signs in.`,
              `If this was not you, undo the change with the link within ${t.hours} hours: it puts this address back and signs everyone out.`,
            ],
        action: { label: es ? 'Deshacer el cambio' : 'Undo the change', url: t.link },
      };
  }
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function renderMail(template: MailTemplate, locale: MailLocale, links: { securityUrl: string }): RenderedMail {
  const p = parts(template, locale, links.securityUrl);
  const text = [...p.lines, '', ...(p.action ? [`${p.action.label}: ${p.action.url}`, ''] : []), '— Gatehouse', ''].join('\n');
  const html = [
    `<!doctype html><html lang="${locale}"><body style="font-family:sans-serif">`,
    ...p.lines.map((line) => `<p>${escapeHtml(line)}</p>`),
    ...(p.action ? [`<p><a href="${escapeHtml(p.action.url)}">${escapeHtml(p.action.label)}</a></p>`] : []),
    '<p>— Gatehouse</p></body></html>',
  ].join('\n');
  return { subject: p.subject, text, html };
}
