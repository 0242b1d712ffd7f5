// What the rest of Gatehouse needs to know about the provider without loading it: its address,
// the acr values, whether a request needs a second factor, and how Fastify hands a request's
// Gatehouse session to it. (oidc-provider itself is loaded only where a provider runs: the CLI's
// other commands stay quick and quiet.)
import type { IncomingMessage } from 'node:http';
import type { ResolvedSession } from '../sessions/index.js';

/** The acr values Gatehouse answers: a password alone, or a password and a second factor. */
export const ACR_PASSWORD = 'pwd';
export const ACR_MFA = 'mfa';

export const OIDC_PREFIX = '/oidc';

/** The login prompt's reason when prompt=login or max_age asks for a new proof, and the detail saying since when (Gatehouse's clock, ms). */
export const REAUTHENTICATE_REASON = 'gatehouse_reauthenticate';
export const REAUTHENTICATE_SINCE = 'gatehouse_reauthenticate_since';

/** What Fastify knows about a request that oidc-provider (Koa) needs: the Gatehouse session. */
export interface Handoff {
  session: ResolvedSession | null;
  /** The client address as Fastify decided it (trusted proxies only), not Koa's reading of X-Forwarded-For. */
  address: string | null;
}
const handoffs = new WeakMap<IncomingMessage, Handoff>();
export const handOver = (req: IncomingMessage, handoff: Handoff) => handoffs.set(req, handoff);
export const handoffOf = (req: IncomingMessage): Handoff => handoffs.get(req) ?? { session: null, address: null };

/** The issuer: the public URL, with its path if it has one, without a trailing slash. */
export function issuerOf(publicUrl: URL): string {
  return `${publicUrl.origin}${publicUrl.pathname.replace(/\/+$/, '')}`;
}

/** Does this authorization need a second factor: the application says so, or the request asks (acr_values). */
export function needsSecondFactor(client: { [key: string]: unknown } | undefined, acrValues: unknown): boolean {
  if (client?.gatehouse_require_2fa === true) return true;
  return typeof acrValues === 'string' && acrValues.split(' ').includes(ACR_MFA);
}

/**
 * Does an authorization need a new proof of the person (OIDC Core §3.1.2.1)? prompt=login always;
 * max_age when the last proof (sign-in or step-up, ms) is older than max_age seconds at `now`;
 * max_age=0 always, as prompt=login. A pure function of Gatehouse's clock.
 */
export function needsReauthentication(input: { promptLogin: boolean; maxAge: unknown; provedAt: number; now: number }): boolean {
  if (input.promptLogin) return true;
  if (input.maxAge === undefined || input.maxAge === null || input.maxAge === '') return false;
  const seconds = Number(input.maxAge);
  if (!Number.isFinite(seconds) || seconds < 0) return false;
  if (seconds === 0) return true;
  return input.now - input.provedAt > seconds * 1000;
}
