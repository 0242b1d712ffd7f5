// The owner deletes their own account (issue 31), when the Authentication settings allow it
// (selfDeletion): step-up, and the account's email typed as confirmation. The browser's cookie
// goes with the session.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '../../http/errors.js';
import { actorOf, clearSessionCookies, type SessionsService } from '../sessions/index.js';
import { DeletionConfirmationSchema, type UsersService } from '../users/index.js';

export function deleteAccountRoutes(
  app: FastifyInstance,
  deps: { users: UsersService; sessions: SessionsService; settings: { get(): Promise<{ selfDeletion: boolean }> } },
): void {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/api/me/delete',
    {
      config: { access: 'full', stepUp: true },
      schema: {
        tags: ['account'],
        summary:
          "Delete your own account (when the settings allow it); signs this browser out · 400 confirmation_mismatch (the email typed is not the account's) · 403 self_deletion_off · 409 last_admin",
        body: DeletionConfirmationSchema,
      },
    },
    async (request, reply) => {
      if (!(await deps.settings.get()).selfDeletion) throw new AppError('self_deletion_off');
      const me = actorOf(request);
      await deps.users.remove(await deps.users.require(me.id), { confirmEmail: request.body.email, by: 'self' }, me, request.ip);
      clearSessionCookies(reply, deps.sessions);
      return reply.code(204).send();
    },
  );
}
