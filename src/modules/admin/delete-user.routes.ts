// An administrator deletes an account (issue 31): step-up, and the account's email typed as
// confirmation. Their own account they delete as its owner does (POST /api/me/delete).
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf } from '../sessions/index.js';
import { DeletionConfirmationSchema, type UsersService } from '../users/index.js';

export function deleteUserRoutes(app: FastifyInstance, deps: { users: UsersService }): void {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/api/admin/users/:id/delete',
    {
      config: { access: 'admin', stepUp: true },
      schema: {
        tags: ['administration'],
        summary:
          "Delete an account: its sessions, grants, factors and memberships go, the audit log keeps its events · 400 confirmation_mismatch (the email typed is not the account's) · 404 · 409 last_admin, cannot_change_self",
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
        body: DeletionConfirmationSchema,
      },
    },
    async (request, reply) => {
      const user = await deps.users.require(request.params.id);
      await deps.users.remove(user, { confirmEmail: request.body.email, by: 'admin' }, actorOf(request), request.ip);
      return reply.code(204).send();
    },
  );
}
