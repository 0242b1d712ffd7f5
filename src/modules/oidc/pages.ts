// The few pages oidc-provider renders itself (sign-out confirmation, signed out, an error before
// any application could be told), in Gatehouse's look (its stylesheet-free card) and languages.
// Everything else a person sees during an authorization is the React UI.
import type { KoaContextWithOIDC } from 'oidc-provider';

const TEXT = {
  en: {
    signOutTitle: 'Sign out',
    signOutQuestion: 'Do you want to sign out of Gatehouse?',
    yes: 'Yes, sign me out',
    no: 'No, stay signed in',
    signedOut: 'You are signed out.',
    errorTitle: 'The application’s request could not be completed',
  },
  es: {
    signOutTitle: 'Cerrar sesión',
    signOutQuestion: '¿Quieres cerrar la sesión de Gatehouse?',
    yes: 'Sí, cerrar la sesión',
    no: 'No, seguir conectado',
    signedOut: 'Has cerrado la sesión.',
    errorTitle: 'No se pudo completar la solicitud de la aplicación',
  },
} as const;

function language(ctx: KoaContextWithOIDC): keyof typeof TEXT {
  return ctx.acceptsLanguages('en', 'es') === 'es' ? 'es' : 'en';
}

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE =
  'body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:3rem 1rem}main{max-width:26rem;margin:auto;background:#fff;padding:1.5rem 2rem;border-radius:6px;box-shadow:0 1px 3px #0003}button{display:block;width:100%;margin:.5rem 0;padding:.6rem;font-size:1rem}';

function page(ctx: KoaContextWithOIDC, title: string, body: string): void {
  const lang = language(ctx);
  ctx.type = 'html';
  // These answers bypass Fastify's headers (the provider writes them), so they set their own.
  ctx.set('x-frame-options', 'DENY');
  ctx.set('x-content-type-options', 'nosniff');
  ctx.set('referrer-policy', 'no-referrer');
  ctx.body = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

export async function logoutPage(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  const t = TEXT[language(ctx)];
  page(
    ctx,
    t.signOutTitle,
    `<h1>${t.signOutTitle}</h1><p>${t.signOutQuestion}</p>${form}<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">${t.yes}</button><button type="submit" form="op.logoutForm">${t.no}</button>`,
  );
}

export async function logoutDonePage(ctx: KoaContextWithOIDC): Promise<void> {
  const t = TEXT[language(ctx)];
  page(ctx, t.signOutTitle, `<h1>${t.signOutTitle}</h1><p role="status">${t.signedOut}</p>`);
}

export async function errorPage(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }): Promise<void> {
  const t = TEXT[language(ctx)];
  page(ctx, t.errorTitle, `<h1>${t.errorTitle}</h1><p><code>${escapeHtml(out.error)}</code></p><p>${escapeHtml(out.error_description ?? '')}</p>`);
}
