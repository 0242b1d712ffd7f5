// The page a signed-in person gets when an application's rules do not let them in: which
// application refused, why in words they can act on, and how to ask for access. A 403 with this
// page, never a redirect (a redirect back to the sign-in page would loop: they are signed in).
// English or Spanish from Accept-Language. No script; its own CSP allows only its inline style.
import type { Decision } from '../access/index.js';

type Language = 'en' | 'es';

const TEXT = {
  en: {
    title: 'Access denied',
    signedInAs: (email: string) => `You are signed in as ${email}.`,
    refused: (app: string) => `${app} does not let you in.`,
    reasons: {
      not_listed: 'This application is open to some groups and people only, and your account is not among them.',
      rule_denies: 'This part of the application is closed to everyone.',
      no_rule: 'This part of the application is not open to anyone yet.',
      default_deny: 'This address is not one of the applications Gatehouse lets people into.',
      no_address: 'The proxy in front of this application did not say which address you asked for.',
      security_key: 'This application asks for a sign-in with a security key or passkey. Sign out, then sign in again with your security key.',
      two_factors: 'This application asks for two-factor authentication. Turn it on in your account, then come back.',
      other: 'Your account may not use this address.',
    },
    ask: (app: string, host: string) =>
      `To ask for access, write to an administrator of this site and say which application (${app}, at ${host}) and which account.`,
    account: 'Your account',
  },
  es: {
    title: 'Acceso denegado',
    signedInAs: (email: string) => `Has iniciado sesión como ${email}.`,
    refused: (app: string) => `${app} no te deja entrar.`,
    reasons: {
      not_listed: 'Esta aplicación está abierta solo a algunos grupos y personas, y tu cuenta no está entre ellos.',
      rule_denies: 'Esta parte de la aplicación está cerrada para todos.',
      no_rule: 'Esta parte de la aplicación todavía no está abierta a nadie.',
      default_deny: 'Esta dirección no es una de las aplicaciones a las que Gatehouse deja entrar.',
      no_address: 'El proxy delante de esta aplicación no indicó qué dirección pidió.',
      security_key: 'Esta aplicación pide iniciar sesión con una llave de seguridad o una passkey. Cierra la sesión e iníciala de nuevo con tu llave.',
      two_factors: 'Esta aplicación pide la autenticación en dos pasos. Actívala en tu cuenta y vuelve.',
      other: 'Tu cuenta no puede usar esta dirección.',
    },
    ask: (app: string, host: string) => `Para pedir acceso, escribe a un administrador de este sitio e indica la aplicación (${app}, en ${host}) y la cuenta.`,
    account: 'Tu cuenta',
  },
} as const;

export function pageLanguage(acceptLanguage: string | undefined): Language {
  // The first of en and es the browser lists (by q), English when neither.
  let best: { lang: Language; q: number } | null = null;
  for (const part of (acceptLanguage ?? '').split(',')) {
    const [tag = '', ...params] = part.trim().toLowerCase().split(';');
    const base = tag.split('-')[0];
    if (base !== 'en' && base !== 'es') continue;
    const qParam = params.find((p) => p.trim().startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.trim().slice(2));
    if (!(q > 0)) continue;
    if (best === null || q > best.q) best = { lang: base, q };
  }
  return best?.lang ?? 'en';
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const REFUSAL_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const STYLE =
  'body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1a1a1a;margin:0;padding:3rem 1rem}main{max-width:32rem;margin:auto;background:#fff;padding:1.5rem 2rem;border-radius:6px;box-shadow:0 1px 3px #0003}a{color:#0b57d0}';

export function refusalPage(input: {
  language: Language;
  email: string;
  decision: Decision | null;
  /** The host the browser asked for (when the proxy said it). */
  host: string | null;
  publicUrl: URL;
}): string {
  const t = TEXT[input.language];
  const { decision } = input;
  const application = decision?.application?.name ?? input.host ?? new URL(input.publicUrl).host;
  const reason =
    decision === null
      ? t.reasons.other
      : decision.reason === 'factors_too_weak'
        ? decision.needs === 'security_key'
          ? t.reasons.security_key
          : t.reasons.two_factors
        : decision.reason in t.reasons
          ? t.reasons[decision.reason as keyof typeof t.reasons]
          : t.reasons.other;
  const account = new URL('/account', input.publicUrl).href;
  return `<!doctype html><html lang="${input.language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${t.title}</title><style>${STYLE}</style></head><body><main><h1>${t.title}</h1><p>${escapeHtml(t.refused(application))}</p><p>${escapeHtml(reason)}</p><p>${escapeHtml(t.signedInAs(input.email))}</p><p>${escapeHtml(t.ask(application, input.host ?? '—'))}</p><p><a href="${escapeHtml(account)}">${t.account}</a></p></main></body></html>`;
}
