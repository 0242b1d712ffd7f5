// The audit log (admins): newest first, cursor paging, filters by kind and account.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { QueryText, cursorParam } from '../../http/query.js';
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
      }),
  );
}
