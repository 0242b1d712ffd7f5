// Password reset: the "Forgot password?" form's request, the link's completion, and an
// administrator's reset from the Users row menu.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf } from '../sessions/index.js';
import { CodeSchema } from '../two-factor/index.js';
import { EmailSchema, NewPasswordSchema } from '../users/index.js';
import type { PasswordResetService } from './password-reset.service.js';

/** Reset requests per client address per hour (per instance: a flood brake; the per-email count is exact). */
const REQUESTS_PER_ADDRESS_PER_HOUR = 10;
const TokenSchema = Type.String({ minLength: 1, maxLength: 100 });

export function passwordResetRoutes(app: FastifyInstance, deps: { resets: PasswordResetService; signinRateLimit: number }): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['password reset'];
  const perAddress = { rateLimit: { max: REQUESTS_PER_ADDRESS_PER_HOUR, timeWindow: 3_600_000 } };
  const signInRate = deps.signinRateLimit > 0 ? { rateLimit: { max: deps.signinRateLimit, timeWindow: 60_000 } } : {};

  r.post(
    '/api/password-reset',
    {
      config: { access: 'public', ...perAddress },
      schema: {
        tags,
        summary: 'Mail a password-reset link (the same answer whether or not the email has an account)',
        body: Type.Object({ email: EmailSchema }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      await deps.resets.request(request.body.email, request.ip);
      return reply.code(202).send({ status: 'accepted' });
    },
  );

  r.post(
    '/api/password-reset/complete',
    {
      config: { access: 'public', ...signInRate },
      schema: {
        tags,
        summary: 'Set a new password with a reset link (and a code when the account has 2FA); ends every session',
        body: Type.Object({ token: TokenSchema, newPassword: NewPasswordSchema, code: Type.Optional(CodeSchema) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      await deps.resets.complete(request.body, request.ip);
      return reply.code(204).send();
    },
  );

  r.post(
    '/api/admin/users/:id/password-reset',
    {
      config: { access: 'admin', stepUp: true },
      schema: {
        tags: ['administration'],
        summary: 'Send the user a reset link (answered to the administrator when no SMTP server is configured)',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const result = await deps.resets.sendByAdmin(actorOf(request), request.params.id, request.ip);
      return 'sent' in result ? reply.code(202).send(result) : reply.code(200).send(result);
    },
  );
}
