// The account's names, set by its owner (Password and account security → Name). The lead maps
// displayName to OIDC's `name` claim; nothing here touches the claims.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf } from '../sessions/index.js';
import { ProfileSchema, type UsersService } from '../users/index.js';

export function profileRoutes(app: FastifyInstance, deps: { users: UsersService }): void {
  app.withTypeProvider<TypeBoxTypeProvider>().put(
    '/api/me/profile',
    {
      config: { access: 'full' },
      schema: {
        tags: ['account'],
        summary: 'Set your names (display, given, family): each ≤ 100 characters after trimming, NFC, no control characters, or null · 400 invalid_request',
        body: ProfileSchema,
        response: { 200: ProfileSchema },
      },
    },
    async (request) => {
      const me = actorOf(request);
      return deps.users.setProfile(me, request.body, me, request.ip);
    },
  );
}
