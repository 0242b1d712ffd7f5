// Why a sign-in with another provider came back to /sign-in?upstream_error=<code>, in words. Only
// the codes the server sends have a sentence; anything else in the address (a link someone made up,
// a code from a newer server) gets the generic one, so the page never says what the URL dictates.
import type { TFunction } from 'i18next';
import type { UpstreamErrorCode } from '../../src/shared/api-types';

/** Every code, once: a code added to UpstreamErrorCode without its sentence does not compile. */
const KNOWN: Record<UpstreamErrorCode, true> = {
  access_denied: true,
  invalid_state: true,
  replayed: true,
  expired: true,
  invalid_token: true,
  unverified_email: true,
  registration_closed: true,
  registration_domain: true,
  blocked: true,
  awaiting_approval: true,
  provider_unavailable: true,
  invalid_profile: true,
};

export function upstreamErrorMessage(t: TFunction, code: string): string {
  const reason = Object.hasOwn(KNOWN, code) ? t(`upstream.errors.${code}`) : t('upstream.errors.generic');
  return `${t('upstream.errors.intro')} ${reason}`;
}

/**
 * A path on this site: where a finished sign-in may go. The server's own rule for returnTo
 * (upstream.routes.ts): printable ASCII only, never `//host` or `/\host`. A tab or a newline would
 * pass a looser test and then be dropped by the URL parser (`/<TAB>/evil.example` is
 * `//evil.example`), so the origin is checked on the parsed address as well.
 */
export function sitePath(value: string | null | undefined): string | null {
  if (!value || !/^\/(?:[!-.0-[\]-~][!-[\]-~]*)?$/.test(value)) return null;
  return new URL(value, window.location.origin).origin === window.location.origin ? value : null;
}
