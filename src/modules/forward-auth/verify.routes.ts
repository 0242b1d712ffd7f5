// Forward auth for reverse proxies (nginx auth_request, Traefik forwardAuth, Caddy forward_auth):
// one indexed read per call, no hashing; idle time refreshed at most once a minute.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '../../http/errors.js';
import { QueryText } from '../../http/query.js';
import type { RecordAudit } from '../audit/index.js';
import type { ResolvedSession, SessionsService } from '../sessions/index.js';
import { verifySessionOf } from '../sessions/index.js';
import { allowedRedirect } from './redirect-target.js';
import { acceptsHtml, originalAddress, redirectStatus, signInLocation, singleHeader, trustedProxyCheck } from './original-address.js';
import { identityHeaders } from './identity-headers.js';

export interface VerifyDeps {
  publicUrl: URL;
  allowedRedirectHosts: readonly string[];
  trustProxy: readonly string[];
  sessions: SessionsService;
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

  /**
   * No usable session: a browser navigating through a trusted proxy that said where it was going
   * is sent to the sign-in page with that address in rd (Traefik and Caddy relay this answer as it
   * is; nginx asks a second time from its error page). Everyone else gets 401.
   */
  function refuse(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    if (acceptsHtml(request.headers.accept) && fromTrustedProxy(request.socket.remoteAddress)) {
      const address = originalAddress(request.raw.rawHeaders);
      if (address !== null) {
        const status = redirectStatus(singleHeader(request.raw.rawHeaders, 'x-forwarded-method'));
        return reply.redirect(signInLocation(deps.publicUrl, address), status);
      }
    }
    throw new AppError('unauthenticated');
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
        summary: 'Session check for a reverse proxy: identity in X-Gatehouse-* headers; a browser without a session is sent to sign in',
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
      if (request.query.role === 'admin' && session.user.role !== 'admin') throw new AppError('forbidden');
      if (request.query['2fa'] === 'required' && !session.twoFactorEnabled) throw new AppError('two_factor_required');
      void reply.headers(
        identityHeaders({ userId: session.user.id, email: session.user.email, role: session.user.role, twoFactorEnabled: session.twoFactorEnabled }),
      );
      return reply.code(200).send({ status: 'ok' });
    },
  );
}
