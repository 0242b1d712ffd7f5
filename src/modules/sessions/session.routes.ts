// The current session: GET /api/session (who am I) and DELETE /api/session (sign out).
// Signing in is the sign-in module's.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { clearSessionCookies } from './session-cookie.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { RecordAudit } from '../audit/index.js';
import type { SessionDecision } from '../../core/two-factor-requirement.js';
import type { SessionUser } from './sessions.repository.js';
import { SignInWarningSchema } from './session.schemas.js';
import { presentUser } from '../users/index.js';
import { UserSchema } from '../users/index.js';
import { actorOf } from './access.js';
import type { SessionsService } from './sessions.service.js';

export function sessionRoutes(
  app: FastifyInstance,
  deps: {
    sessions: SessionsService;
    policy: { decide(user: SessionUser, twoFactorEnabled: boolean): Promise<SessionDecision> };
    audit: RecordAudit;
    /** Whether owners may delete their accounts (told to a full session, never the rest of the settings). */
    settings: { get(): Promise<{ selfDeletion: boolean }> };
  },
): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/api/session',
    {
      config: { access: 'enrolment' },
      schema: {
        tags: ['session'],
        summary: 'The signed-in user',
        response: {
          200: Type.Object({
            user: UserSchema,
            restricted: Type.Optional(Type.Boolean()),
            warning: Type.Optional(SignInWarningSchema),
            canDeleteAccount: Type.Optional(Type.Boolean({ description: 'The owner may delete this account (POST /api/me/delete)' })),
          }),
        },
      },
    },
    async (request) => {
      const session = request.session!;
      // The names came with the session's one read.
      const { display_name: displayName, given_name: givenName, family_name: familyName } = session.user;
      const profile = { displayName, givenName, familyName };
      if (session.kind === 'restricted')
        return { user: { ...presentUser(session.user, session.twoFactorEnabled, { profile }), restricted: true }, restricted: true };
      const decision = await deps.policy.decide(session.user, session.twoFactorEnabled);
      const warning = session.signInWarning;
      return {
        user: presentUser(session.user, session.twoFactorEnabled, { twoFactorRequiredBy: decision.requiredBy, profile }),
        ...(warning ? { warning } : {}),
        canDeleteAccount: (await deps.settings.get()).selfDeletion,
      };
    },
  );

  r.delete('/api/session', { config: { access: 'public', readsSession: true }, schema: { tags: ['session'], summary: 'Sign out' } }, async (request, reply) => {
    if (request.session) {
      await deps.sessions.end(request.session.tokenHash);
      const ref = actorOf(request);
      await deps.audit({ kind: 'sign_out', actor: ref, subject: ref, address: request.ip });
    }
    clearSessionCookies(reply, deps.sessions);
    return reply.code(204).send();
  });
}
