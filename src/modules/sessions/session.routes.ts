// Signing in and out: POST/GET/DELETE /api/session and the second step.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Services } from '../../services.js';
import { CodeSchema, EmailSchema, PasswordSchema, UserSchema } from '../../http/schemas.js';
import { clearSessionCookie, startSession } from '../../http/session-cookie.js';
import { presentUser } from '../users/user.presenter.js';
import type { SignInService } from '../auth/sign-in.service.js';
import type { SessionsService } from './sessions.service.js';
import type { AccessPolicy } from '../two-factor-policy/require-2fa.js';

/** An email (≤ 320) and a password (≤ 256 characters, ≤ 4 bytes each) fit with room to spare. */
const SIGN_IN_BODY_LIMIT = 4096;

export function sessionRoutes(
  app: FastifyInstance,
  s: Services,
  deps: { signIn: SignInService; sessions: SessionsService; policy: AccessPolicy },
): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const signInRateLimit = s.config.signinRateLimit > 0 ? { rateLimit: { max: s.config.signinRateLimit, timeWindow: 60_000 } } : {};

  r.post(
    '/api/session',
    {
      config: { access: 'public', ...signInRateLimit },
      bodyLimit: SIGN_IN_BODY_LIMIT,
      schema: {
        tags: ['session'],
        summary: 'Sign in with email and password',
        body: Type.Object({ email: EmailSchema, password: PasswordSchema }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const result = await deps.signIn.passwordStep(request.body.email, request.body.password, request.ip);
      if (result.status === 'second_factor_required') {
        await startSession(reply, s.config, deps.sessions, { userId: result.user.id, kind: 'pending', address: request.ip });
        return { status: 'second_factor_required' };
      }
      const decision = await deps.policy.decide(result.user, false);
      await startSession(reply, s.config, deps.sessions, { userId: result.user.id, kind: decision.restricted ? 'restricted' : 'full', address: request.ip });
      if (decision.restricted) return { status: 'two_factor_setup_required' };
      return { status: 'authenticated', user: presentUser(result.user, false, { twoFactorRequiredBy: decision.requiredBy }) };
    },
  );

  r.post(
    '/api/session/second-factor',
    {
      config: { access: 'pending', ...signInRateLimit },
      bodyLimit: SIGN_IN_BODY_LIMIT,
      schema: {
        tags: ['session'],
        summary: 'Second step: a code from the app or one backup code',
        body: Type.Object({ code: CodeSchema }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const pending = request.session!;
      const result = await deps.signIn.secondFactorStep(pending.user, request.body.code, request.ip);
      // The pending sign-in is consumed exactly once; a racing twin that lost gets no session.
      if (!(await deps.sessions.end(pending.tokenHash))) {
        clearSessionCookie(reply, s.config);
        return reply.code(401).send({ error: 'no_pending_sign_in', message: 'This sign-in was already completed.' });
      }
      await startSession(reply, s.config, deps.sessions, { userId: pending.user.id, kind: 'full', address: request.ip });
      const user = presentUser(pending.user, true);
      return result.method === 'backup_code'
        ? { status: 'authenticated', user, method: result.method, backupCodesLeft: result.backupCodesLeft }
        : { status: 'authenticated', user, method: result.method };
    },
  );

  r.get(
    '/api/session',
    {
      config: { access: 'enrolment' },
      schema: { tags: ['session'], summary: 'The signed-in user', response: { 200: Type.Object({ user: UserSchema, restricted: Type.Optional(Type.Boolean()) }) } },
    },
    async (request) => {
      const session = request.session!;
      if (session.kind === 'restricted') return { user: { ...presentUser(session.user, session.twoFactorEnabled), restricted: true }, restricted: true };
      const decision = await deps.policy.decide(session.user, session.twoFactorEnabled);
      return { user: presentUser(session.user, session.twoFactorEnabled, { twoFactorRequiredBy: decision.requiredBy }) };
    },
  );

  r.delete(
    '/api/session',
    { config: { access: 'public', readsSession: true }, schema: { tags: ['session'], summary: 'Sign out' } },
    async (request, reply) => {
      if (request.session) {
        await deps.sessions.end(request.session.tokenHash);
        await s.audit({ kind: 'sign_out', actor: { id: request.session.user.id, email: request.session.user.email }, subject: { id: request.session.user.id, email: request.session.user.email }, address: request.ip });
      }
      clearSessionCookie(reply, s.config);
      return reply.code(204).send();
    },
  );
}
