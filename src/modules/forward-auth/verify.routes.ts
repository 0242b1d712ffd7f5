// Forward auth for reverse proxies (nginx auth_request, Traefik forwardAuth, Caddy forward_auth):
// one indexed read for the session and one for the access version and the person's groups per
// call, no hashing; idle time refreshed at most once a minute. Who may go where is the access
// module's decision (the applications and their rules), made on every request.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '../../http/errors.js';
import { QueryText } from '../../http/query.js';
import type { RecordAudit } from '../audit/index.js';
import type { AccessPolicy, Asker, Decision } from '../access/index.js';
import type { ResolvedSession, SessionsService } from '../sessions/index.js';
import { verifySessionOf } from '../sessions/index.js';
import { allowedRedirect } from './redirect-target.js';
import { acceptsHtml, originalAddress, redirectStatus, signInLocation, singleHeader, trustedProxyCheck } from './original-address.js';
import { identityHeaders } from './identity-headers.js';
import { REFUSAL_PAGE_CSP, pageLanguage, refusalPage } from './refusal-page.js';

export interface VerifyDeps {
  publicUrl: URL;
  allowedRedirectHosts: readonly string[];
  trustProxy: readonly string[];
  sessions: SessionsService;
  access: AccessPolicy;
  audit: RecordAudit;
}

export function verifyRoutes(app: FastifyInstance, deps: VerifyDeps): void {
  const fromTrustedProxy = trustedProxyCheck(deps.trustProxy);

  /** The full session behind the session cookie or, failing that, behind the verify-only cookie. */
  async function fullSession(request: FastifyRequest): Promise<ResolvedSession | null> {
    if (request.session?.kind === 'full') return request.session;
    const session = await verifySessionOf(request, deps.sessions);
    return session?.kind === 'full' ? session : null;
  }

  /** Where the browser was going, when a trusted proxy said it (well). */
  function addressOf(request: FastifyRequest): string | null {
    return fromTrustedProxy(request.socket.remoteAddress) ? originalAddress(request.raw.rawHeaders) : null;
  }

  /** A browser navigating through a trusted proxy that said where it was going: it can be sent somewhere. */
  function browserAddress(request: FastifyRequest): string | null {
    return acceptsHtml(request.headers.accept) ? addressOf(request) : null;
  }

  /**
   * No usable session: a browser navigating through a trusted proxy that said where it was going
   * is sent to the sign-in page with that address in rd (Traefik and Caddy relay this answer as it
   * is; nginx asks a second time from its error page). Everyone else gets 401.
   */
  function refuse(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const address = browserAddress(request);
    if (address !== null) {
      const status = redirectStatus(singleHeader(request.raw.rawHeaders, 'x-forwarded-method'));
      return reply.redirect(signInLocation(deps.publicUrl, address), status);
    }
    throw new AppError('unauthenticated');
  }

  /** Signed in with too little for the rule: a browser goes to confirm it with its code and comes back to the exact address; others get 401. */
  function sendToStepUp(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const address = browserAddress(request);
    if (address !== null) {
      const status = redirectStatus(singleHeader(request.raw.rawHeaders, 'x-forwarded-method'));
      return reply.redirect(`${new URL('/step-up', deps.publicUrl).href}?rd=${encodeURIComponent(address)}`, status);
    }
    throw new AppError('step_up_required', undefined, { reason: 'factors_too_weak', needs: 'two_factors' });
  }

  /** Signed in, and not let in: the refusal page for a browser (a 403, never a redirect: that would loop), JSON for others. */
  function deny(request: FastifyRequest, reply: FastifyReply, session: ResolvedSession, decision: Decision | null, address: URL | null): FastifyReply {
    if (acceptsHtml(request.headers.accept)) {
      return reply
        .code(403)
        .header('content-security-policy', REFUSAL_PAGE_CSP)
        .type('text/html; charset=utf-8')
        .send(
          refusalPage({
            language: pageLanguage(request.headers['accept-language']),
            email: session.user.email,
            decision,
            host: address?.host ?? null,
            publicUrl: deps.publicUrl,
          }),
        );
    }
    throw new AppError('access_denied', undefined, {
      reason: decision?.reason ?? 'forbidden',
      application: decision?.application?.name ?? null,
      ...(decision?.needs ? { needs: decision.needs } : {}),
    });
  }

  /**
   * The rules' decision for the address the proxy names. A refusal is audited by the check itself;
   * the refusal page nginx fetches afterwards (`recordRefusal: false`) must not count it twice.
   */
  async function decide(request: FastifyRequest, session: ResolvedSession, { recordRefusal = true } = {}) {
    const raw = addressOf(request);
    const address = raw === null ? null : new URL(raw);
    const asker: Asker = { userId: session.user.id, email: session.user.email, strength: session.strength, hasSecondFactor: session.twoFactorEnabled };
    const answer = await deps.access.decide(address, asker);
    if (recordRefusal && answer.decision.outcome !== 'allow') await deps.access.recordRefusal(asker, address, answer.decision, request.ip);
    return { ...answer, address };
  }

  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/api/redirect-target',
    {
      config: { access: 'public' },
      schema: {
        tags: ['forward auth'],
        summary: 'Where the sign-in page may return to: the address if allowed, null otherwise',
        querystring: Type.Object({ rd: QueryText(4096) }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const redirect = allowedRedirect(request.query.rd, deps.publicUrl, deps.allowedRedirectHosts);
      if (redirect === null) await deps.audit({ kind: 'redirect.refused', address: request.ip, details: { rd: request.query.rd.slice(0, 512) } });
      return { redirect };
    },
  );

  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/api/verify',
    {
      config: { access: 'public', readsSession: true },
      schema: {
        tags: ['forward auth'],
        summary:
          'Session and access check for a reverse proxy: identity in X-Gatehouse-* and Remote-Groups headers; a browser without a session is sent to sign in, one whose sign-in is too weak for the rule to step up, one the rules refuse gets the refusal page',
        querystring: Type.Object(
          { role: Type.Optional(Type.Literal('admin')), '2fa': Type.Optional(Type.Literal('required')) },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      // Pending and restricted sessions are not signed in as far as a guarded app is concerned.
      const session = await fullSession(request);
      if (session === null) return refuse(request, reply);
      const { decision, groups, address } = await decide(request, session);
      if (decision.outcome === 'step_up') return sendToStepUp(request, reply);
      if (decision.outcome === 'deny') return deny(request, reply, session, decision, address);
      // The per-route conditions of before (docs/reverse-proxy.md), on top of the rules.
      const legacyRefusal =
        request.query.role === 'admin' && session.user.role !== 'admin'
          ? 'forbidden'
          : request.query['2fa'] === 'required' && !session.twoFactorEnabled
            ? 'two_factor_required'
            : null;
      if (legacyRefusal !== null) {
        if (acceptsHtml(request.headers.accept)) return deny(request, reply, session, null, address);
        throw new AppError(legacyRefusal);
      }
      void reply.headers(
        identityHeaders({ userId: session.user.id, email: session.user.email, role: session.user.role, twoFactorEnabled: session.twoFactorEnabled, groups }),
      );
      return reply.code(200).send({ status: 'ok' });
    },
  );

  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/api/verify/refused',
    {
      config: { access: 'public', readsSession: true },
      schema: {
        tags: ['forward auth'],
        summary: "The refusal page for nginx's error_page 403 (which cannot pass on the check's own answer): always a refusal, never the identity",
        querystring: Type.Object({}, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const session = await fullSession(request);
      if (session === null) return refuse(request, reply);
      const { decision, address } = await decide(request, session, { recordRefusal: false });
      // Allowed by the rules: a per-route condition (role=admin, 2fa=required) refused, which this call cannot know.
      return deny(request, reply, session, decision.outcome === 'allow' ? null : decision, address);
    },
  );
}
