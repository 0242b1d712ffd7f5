// Signing in with another provider, the browser's side: the buttons' list, the redirect to the
// provider, its callback, and the link step (the password of the matching account, then its
// second factor: a code, or a security key). Two HttpOnly cookies carry what the browser must hold: the flow's state (a
// callback this browser did not start is refused: login CSRF) and a link ticket. Under https they
// are `__Host-` prefixed (so Path=/): a sibling host cannot plant its own flow's state or ticket
// in this browser (cookie tossing), which would sign the victim in as the attacker.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { AppError } from '../../http/errors.js';
import { clearCookie, readCookie, setCookie } from '../../http/cookies.js';
import { clearSessionCookies, type SessionsService, startSession, writeSessionCookies } from '../sessions/index.js';
import { hashSessionToken } from '../../crypto/tokens.js';
import { deviceTokenOf, type RecognisedBrowser, rememberBrowser, type TrustedDevicesService } from '../trusted-devices/index.js';
import { CodeSchema, type RequireTwoFactorPolicy } from '../two-factor/index.js';
import type { SignInService } from '../sign-in/index.js';
import { PasswordSchema, presentUser } from '../users/index.js';
import { AuthenticationResponseSchema, type WebauthnService } from '../webauthn/index.js';
import { AMR_PASSWORD, AMR_TWO_FACTOR, federatedAmr, withSecondStep } from '../../core/amr.js';
import type { PendingUpstreamLink } from '../../shared/api-types.js';
import type { UpstreamService } from './upstream.service.js';
import { type CallbackOutcome, FLOW_MINUTES, UpstreamRefusal, type UpstreamSignInService } from './upstream-sign-in.service.js';

/**
 * A path on this site, never another origin (`//host`, `/\host`), in printable ASCII only: it is
 * stored (PostgreSQL refuses NUL in text) and sent back in a Location header (Node refuses control
 * and non-Latin-1 characters there), so anything else would be a 500 rather than a 400.
 */
const RETURN_TO = Type.String({ maxLength: 512, pattern: /^\/(?:[!-.0-[\]-~][!-[\]-~]*)?$/.source });
const Text = (maxLength: number) => Type.Optional(Type.String({ maxLength }));
/** A browser's assertion, as the sign-in's own security-key step bounds it (security-key-sign-in.routes.ts). */
const KEY_BODY_LIMIT = 16 * 1024;

export interface UpstreamRouteDeps {
  providers: UpstreamService;
  upstream: UpstreamSignInService;
  signIn: SignInService;
  sessions: SessionsService;
  devices: TrustedDevicesService;
  webauthn: WebauthnService;
  policy: RequireTwoFactorPolicy;
  signinRateLimit: number;
}

/** A link step's second factor, before it is checked: the pending sign-in, the ticket it is bound to, the browser. */
interface BoundLink {
  pending: NonNullable<FastifyRequest['session']>;
  token: string;
  ticket: Awaited<ReturnType<UpstreamSignInService['ticket']>>;
  browser: RecognisedBrowser;
}

export function upstreamRoutes(app: FastifyInstance, deps: UpstreamRouteDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const rateLimit = deps.signinRateLimit > 0 ? { rateLimit: { max: deps.signinRateLimit, timeWindow: 60_000 } } : {};
  const tags = ['upstream'];
  const secure = deps.sessions.cookies.secureCookies;
  const FLOW_COOKIE = secure ? '__Host-gatehouse_upstream_flow' : 'gatehouse_upstream_flow';
  const LINK_COOKIE = secure ? '__Host-gatehouse_upstream_link' : 'gatehouse_upstream_link';
  const cookie = () => ({ httpOnly: true, sameSite: 'lax' as const, secure, path: '/' });
  const keep = (reply: FastifyReply, name: string, value: string) => setCookie(reply, name, value, { ...cookie(), maxAge: FLOW_MINUTES * 60 });
  const redirect = (reply: FastifyReply, to: string) => reply.code(302).header('location', to).header('cache-control', 'no-store').send();
  const refusal = (reply: FastifyReply, error: unknown) => {
    if (!(error instanceof UpstreamRefusal)) throw error;
    clearCookie(reply, FLOW_COOKIE, cookie());
    return redirect(reply, `/sign-in?upstream_error=${error.code}`);
  };

  r.get(
    '/api/upstream/providers',
    { config: { access: 'public' }, schema: { tags, summary: 'The providers the sign-in page offers (enabled ones)' } },
    async () => deps.providers.enabled(),
  );

  r.get(
    '/api/upstream/:id/start',
    {
      config: { access: 'public', ...rateLimit },
      schema: {
        tags,
        summary: 'Go to the provider to sign in (302; code flow with PKCE, state and nonce)',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
        querystring: Type.Object({ returnTo: Type.Optional(RETURN_TO) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      try {
        const { url, state } = await deps.upstream.start(request.params.id, request.query.returnTo ?? null, request.ip);
        keep(reply, FLOW_COOKIE, state);
        return redirect(reply, url);
      } catch (error) {
        return refusal(reply, error);
      }
    },
  );

  r.get(
    '/api/upstream/callback',
    {
      config: { access: 'public', ...rateLimit },
      schema: {
        tags,
        summary: "The provider's answer (302: signed in, the second step, the link step, or /sign-in?upstream_error=…)",
        // What providers add besides code and state: RFC 9207's iss, Google's authuser/hd/prompt/scope, Entra's session_state.
        querystring: Type.Object(
          {
            code: Text(4096),
            state: Text(256),
            iss: Text(512),
            error: Text(128),
            error_description: Text(1024),
            error_uri: Text(1024),
            scope: Text(1024),
            authuser: Text(16),
            hd: Text(256),
            prompt: Text(64),
            session_state: Text(256),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const raw = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
      let outcome: CallbackOutcome;
      try {
        outcome = await deps.upstream.callback(new URLSearchParams(raw), readCookie(request, FLOW_COOKIE) ?? null, request.ip);
      } catch (error) {
        return refusal(reply, error);
      }
      clearCookie(reply, FLOW_COOKIE, cookie());
      return redirect(reply, await finish(request, reply, outcome));
    },
  );

  /** The session the callback earned; answers where the browser goes next. */
  async function finish(request: FastifyRequest, reply: FastifyReply, outcome: CallbackOutcome): Promise<string> {
    const address = request.ip;
    switch (outcome.kind) {
      case 'link':
        keep(reply, LINK_COOKIE, outcome.ticket);
        return '/sign-in?upstream_link=1';
      case 'second_factor':
        // The first step was the provider's: the second step's session then says fed, never pwd.
        await startSession(reply, deps.sessions, { userId: outcome.user.id, kind: 'pending', address, amr: federatedAmr(false) });
        // Where the full sign-in lands once the second step is done (an application's sign-in request, ?rd=).
        return outcome.returnTo
          ? `/sign-in?upstream_step=second_factor&returnTo=${encodeURIComponent(outcome.returnTo)}`
          : '/sign-in?upstream_step=second_factor';
      case 'signed_in': {
        await deps.signIn.completeUpstreamSignIn(outcome.user, address);
        const decision = await deps.policy.decide(outcome.user, outcome.user.twoFactorEnabled);
        const amr = federatedAmr(outcome.trustedMfa);
        await startSession(reply, deps.sessions, { userId: outcome.user.id, kind: decision.restricted ? 'restricted' : 'full', address, amr });
        if (decision.restricted) return '/';
        await rememberBrowser(request, reply, deps.devices, await deps.devices.recognise(outcome.user.id, deviceTokenOf(request, deps.devices)));
        return outcome.returnTo ?? '/';
      }
    }
  }

  r.get(
    '/api/upstream/link',
    { config: { access: 'public' }, schema: { tags, summary: 'The sign-in waiting to be linked: the provider and the account’s email · 401 no_pending_link' } },
    async (request) => {
      const ticket = await deps.upstream.ticket(readCookie(request, LINK_COOKIE) ?? null);
      const provider = await deps.providers.find(ticket.provider_id);
      const account = await deps.upstream.accountOf(ticket);
      const pending: PendingUpstreamLink = {
        provider: { id: ticket.provider_id, name: provider?.name ?? '' },
        email: account.email,
        expiresAt: new Date(ticket.expires_at).toISOString(),
      };
      return pending;
    },
  );

  r.post(
    '/api/upstream/link',
    {
      config: { access: 'public', ...rateLimit },
      schema: {
        tags,
        summary: 'Prove the matching account with its password to link it (then its second factor when it has 2FA)',
        body: Type.Object({ password: PasswordSchema }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const token = readCookie(request, LINK_COOKIE) ?? null;
      const ticket = await deps.upstream.ticket(token);
      const account = await deps.upstream.accountOf(ticket);
      const result = await deps.signIn.passwordStep(account.email, request.body.password, request.ip, deviceTokenOf(request, deps.devices));
      const userId = result.user.id;
      if (result.status === 'second_factor_required') {
        const userAgent = request.headers['user-agent'];
        const started = await deps.sessions.start({
          userId,
          kind: 'pending',
          address: request.ip,
          userAgent: typeof userAgent === 'string' ? userAgent : null,
        });
        // Only this pending sign-in may finish the link: not another of the account's, made elsewhere.
        await deps.upstream.bindTicket(ticket, hashSessionToken(started.token));
        writeSessionCookies(reply, deps.sessions, started);
        return { status: result.status };
      }
      await deps.upstream.completeLink(token!, userId, null, request.ip);
      clearCookie(reply, LINK_COOKIE, cookie());
      if (result.status === 'two_factor_setup_required') {
        await startSession(reply, deps.sessions, { userId, kind: 'restricted', address: request.ip, amr: AMR_PASSWORD });
        return { status: result.status };
      }
      await startSession(reply, deps.sessions, { userId, kind: 'full', address: request.ip, amr: AMR_PASSWORD });
      await rememberBrowser(request, reply, deps.devices, result.browser);
      const user = presentUser(result.user, false, { twoFactorRequiredBy: result.decision.requiredBy });
      return { status: result.status, user, returnTo: ticket.return_to };
    },
  );

  /**
   * The link step's second factor may finish only the pending sign-in this ticket's password step
   * made: a factor proven for another account, or for another sign-in of this one, links nothing.
   */
  async function boundLink(request: FastifyRequest): Promise<BoundLink> {
    const pending = request.session!;
    const token = readCookie(request, LINK_COOKIE) ?? null;
    const ticket = await deps.upstream.ticket(token);
    if (ticket.user_id !== pending.user.id || ticket.pending_session !== pending.tokenHash) throw new AppError('no_pending_link');
    // The browser is recognised once: its counter is spent by the step, its trust renewed after.
    const browser = await deps.devices.recognise(pending.user.id, deviceTokenOf(request, deps.devices));
    return { pending, token: token!, ticket, browser };
  }

  /** The second factor is proven: the pending sign-in ends exactly once, the provider is linked, the session is full. */
  async function finishLink(request: FastifyRequest, reply: FastifyReply, link: BoundLink, amr: readonly string[]) {
    const { pending, browser } = link;
    // A racing twin that lost gets no session, and links nothing.
    if (!(await deps.sessions.end(pending.tokenHash))) {
      clearSessionCookies(reply, deps.sessions);
      return reply.code(401).send({ error: 'no_pending_sign_in', message: 'This sign-in was already completed.' });
    }
    await deps.upstream.completeLink(link.token, pending.user.id, pending.tokenHash, request.ip);
    clearCookie(reply, LINK_COOKIE, cookie());
    await startSession(reply, deps.sessions, { userId: pending.user.id, kind: 'full', address: request.ip, amr });
    await rememberBrowser(request, reply, deps.devices, browser);
    return { status: 'authenticated' as const, user: presentUser(pending.user, true), returnTo: link.ticket.return_to };
  }

  r.post(
    '/api/upstream/link/second-factor',
    {
      config: { access: 'pending', ...rateLimit },
      schema: {
        tags,
        summary: 'The link step’s second factor: a code from the app or a backup code; links and signs in',
        body: Type.Object({ code: CodeSchema }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const link = await boundLink(request);
      await deps.signIn.secondFactorStep(link.pending.user, request.body.code, request.ip, link.browser.counterKey);
      return finishLink(request, reply, link, AMR_TWO_FACTOR);
    },
  );

  r.post(
    '/api/upstream/link/security-key/options',
    {
      config: { access: 'pending', ...rateLimit },
      schema: {
        tags,
        summary: "The link step's second factor by security key: options for navigator.credentials.get() (the account's keys) · 409 no_security_key",
      },
    },
    async (request) => deps.webauthn.secondFactorOptions(request.session!.user.id),
  );

  r.post(
    '/api/upstream/link/security-key',
    {
      config: { access: 'pending', ...rateLimit },
      bodyLimit: KEY_BODY_LIMIT,
      schema: {
        tags,
        summary:
          "The link step's second factor by security key: the browser's assertion; links and signs in. 401 invalid_security_key (counts toward the code-attempt limit) · 401 no_pending_link · 429 locked",
        body: Type.Object({ response: AuthenticationResponseSchema }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const link = await boundLink(request);
      const response = request.body.response as AuthenticationResponseJSON;
      const { amr } = await deps.signIn.securityKeyStep(link.pending.user, request.ip, link.browser.counterKey, 'webauthn', response);
      // The password was typed here (never federated): the step's amr, as the sign-in's own key step.
      return finishLink(request, reply, link, withSecondStep(link.pending.federated, amr));
    },
  );
}
