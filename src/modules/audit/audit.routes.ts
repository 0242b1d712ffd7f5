// The audit log (admins): newest first, cursor paging, filters by kind, account and time; and a
// user's own security events (GET /api/me/security-events: only those where they are the subject).
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { QueryText, cursorParam } from '../../http/query.js';
import { AppError } from '../../http/errors.js';
import { listAuditEvents } from './audit.repository.js';

export function auditRoutes(app: FastifyInstance, deps: { db: Kysely<DB> }): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/api/admin/audit',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['administration'],
        summary: 'Security events, newest first',
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
            cursor: Type.Optional(QueryText(200)),
            kind: Type.Optional(QueryText(64)),
            account: Type.Optional(QueryText(320)),
            from: Type.Optional(QueryText(40)),
            to: Type.Optional(QueryText(40)),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) =>
      listAuditEvents(deps.db, {
        limit: request.query.limit ?? 50,
        cursor: cursorParam(request.query.cursor),
        kind: request.query.kind,
        account: request.query.account,
        from: timeParam(request.query.from),
        to: timeParam(request.query.to),
      }),
  );

  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/api/me/security-events',
    {
      config: { access: 'full' },
      schema: {
        tags: ['account'],
        summary: 'Your own recent security events, newest first',
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })), cursor: Type.Optional(QueryText(200)) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) =>
      listAuditEvents(deps.db, { limit: request.query.limit ?? 10, cursor: cursorParam(request.query.cursor), subjectId: request.session!.user.id }),
  );
}

/** An ISO date or date-time (or epoch ms) as epoch ms; anything else is a 400. */
function timeParam(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) throw new AppError('invalid_request', 'from/to: an ISO date-time or epoch milliseconds.');
  return ms;
}
