// Password reset: the "Forgot password?" form's request, the link's completion, and an
// administrator's reset from the Users row menu.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf, type SessionsService, startSession } from '../sessions/index.js';
import { deviceTokenOf, rememberBrowser, type TrustedDevicesService } from '../trusted-devices/index.js';
import type { RequireTwoFactorPolicy } from '../two-factor/index.js';
import { CodeSchema } from '../two-factor/index.js';
import { EmailSchema, NewPasswordSchema, presentUser } from '../users/index.js';
import type { PasswordResetService } from './password-reset.service.js';

/** Reset requests per client address per hour (per instance: a flood brake; the per-email count is exact). */
const REQUESTS_PER_ADDRESS_PER_HOUR = 10;
const TokenSchema = Type.String({ minLength: 1, maxLength: 100 });

export interface PasswordResetRouteDeps {
  resets: PasswordResetService;
  sessions: SessionsService;
  devices: TrustedDevicesService;
  policy: RequireTwoFactorPolicy;
  signinRateLimit: number;
}

export function passwordResetRoutes(app: FastifyInstance, deps: PasswordResetRouteDeps): void {
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
        summary: 'Set a new password with a reset link (and a code when the account has 2FA); ends every session, then signs in on this browser and trusts it',
        body: Type.Object({ token: TokenSchema, newPassword: NewPasswordSchema, code: Type.Optional(CodeSchema) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const { user, amr, twoFactorEnabled } = await deps.resets.complete(request.body, request.ip);
      // The mailbox (and the code, with 2FA) proved the owner: this browser is signed in and becomes
      // a trusted device, whose attempts count on its own counter. An attacker who only knows the
      // email and keeps the account's sign-in locked then never keeps the owner out for longer than
      // one mail round-trip.
      const decision = await deps.policy.decide(user, twoFactorEnabled);
      const kind = decision.restricted ? 'restricted' : 'full';
      await startSession(reply, deps.sessions, { userId: user.id, kind, address: request.ip, amr });
      await rememberBrowser(request, reply, deps.devices, await deps.devices.recognise(user.id, deviceTokenOf(request, deps.devices)));
      if (decision.restricted) return { status: 'two_factor_setup_required' as const };
      return { status: 'authenticated' as const, user: presentUser(user, twoFactorEnabled, { twoFactorRequiredBy: decision.requiredBy }) };
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
