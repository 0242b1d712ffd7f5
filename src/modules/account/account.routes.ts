// "Password and account security": the signed-in user's own password (2FA is the two-factor module's).
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { SessionsService } from '../sessions/index.js';
import { NewPasswordSchema, PasswordSchema } from '../users/index.js';
import { deviceTokenOf, type TrustedDevicesService } from '../trusted-devices/index.js';
import type { PasswordService } from './password.service.js';

export function accountRoutes(app: FastifyInstance, deps: { passwords: PasswordService; sessions: SessionsService; devices: TrustedDevicesService }): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['account'];

  r.post(
    '/api/me/password',
    {
      config: { access: 'full', stepUp: true },
      schema: {
        tags,
        summary: 'Change the password (ends the other sessions)',
        body: Type.Object({ currentPassword: PasswordSchema, newPassword: NewPasswordSchema }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const session = request.session!;
      // Counted on the browser's trusted device when it has one: a locked account does not stop its owner.
      const counterKey = await deps.devices.counterKey(session.user.id, deviceTokenOf(request, deps.devices));
      await deps.passwords.change(session.user, request.body, request.ip, counterKey);
      await deps.sessions.endAllFor(session.user.id, session.tokenHash);
      return reply.code(204).send();
    },
  );
}
