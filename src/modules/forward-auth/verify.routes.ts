// Forward auth for reverse proxies (nginx auth_request, Traefik forwardAuth, Caddy forward_auth):
// one indexed read per call, no hashing; idle time refreshed at most once a minute.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '../../http/errors.js';
import { QueryText } from '../../http/query.js';
import type { RecordAudit } from '../audit/audit.repository.js';
import { allowedRedirect } from './redirect-target.js';

export function verifyRoutes(app: FastifyInstance, deps: { publicUrl: URL; allowedRedirectHosts: readonly string[]; audit: RecordAudit }): void {
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
        summary: 'Session check for a reverse proxy: identity in X-Gatehouse-* headers',
        querystring: Type.Object({ role: Type.Optional(Type.Literal('admin')), '2fa': Type.Optional(Type.Literal('required')) }),
      },
    },
    async (request, reply) => {
      const session = request.session;
      // Pending and restricted sessions are not signed in as far as a guarded app is concerned.
      if (!session || session.kind !== 'full') throw new AppError('unauthenticated');
      if (request.query.role === 'admin' && session.user.role !== 'admin') throw new AppError('forbidden');
      if (request.query['2fa'] === 'required' && !session.twoFactorEnabled) throw new AppError('two_factor_required');
      void reply.headers({
        'x-gatehouse-user-id': session.user.id,
        'x-gatehouse-email': session.user.email,
        'x-gatehouse-role': session.user.role,
        'x-gatehouse-2fa': String(session.twoFactorEnabled),
      });
      return reply.code(200).send({ status: 'ok' });
    },
  );
}
