// POST /api/session/step-up: re-authenticate this session for the next 10 minutes.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CodeSchema } from '../two-factor/index.js';
import { PasswordSchema } from '../users/index.js';
import { deviceTokenOf, type TrustedDevicesService } from '../trusted-devices/index.js';
import type { StepUpService } from './step-up.service.js';

export function stepUpRoutes(app: FastifyInstance, deps: { stepUp: StepUpService; devices: TrustedDevicesService }): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.post(
    '/api/session/step-up',
    {
      // A restricted session steps up too before it enrols: it came from a password alone, which
      // is exactly what a stolen cookie is.
      config: { access: 'enrolment' },
      bodyLimit: 4096,
      schema: {
        tags: ['session'],
        summary: 'Re-authenticate (password, and a code when 2FA is on): opens 10 minutes for sensitive actions in this session',
        body: Type.Object({ password: PasswordSchema, code: Type.Optional(CodeSchema) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      await deps.stepUp.stepUp(request.session!, request.body, request.ip, deviceTokenOf(request, deps.devices));
      return reply.code(204).send();
    },
  );
}
