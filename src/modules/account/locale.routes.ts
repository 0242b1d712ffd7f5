// The account's language for the mail it is sent (the En / Es switch while signed in).
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf } from '../sessions/index.js';
import type { UsersService } from '../users/index.js';

export function localeRoutes(app: FastifyInstance, deps: { users: UsersService }): void {
  app.withTypeProvider<TypeBoxTypeProvider>().put(
    '/api/me/locale',
    {
      config: { access: 'full' },
      schema: {
        tags: ['account'],
        summary: 'The language of the mail this account is sent',
        body: Type.Object({ locale: Type.Union([Type.Literal('en'), Type.Literal('es')]) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      await deps.users.setLocale(actorOf(request).id, request.body.locale);
      return reply.code(204).send();
    },
  );
}
