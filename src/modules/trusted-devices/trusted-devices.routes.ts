// The owner's trusted devices: GET /api/me/trusted-devices, DELETE /api/me/trusted-devices/:id.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '../../http/errors.js';
import type { RecordAudit } from '../audit/index.js';
import { actorOf, describeUserAgent } from '../sessions/index.js';
import type { TrustedDevicesService } from './trusted-devices.service.js';
import { deviceTokenOf } from './device-cookie.js';

const DeviceSchema = Type.Object({
  id: Type.String(),
  label: Type.String({ description: "The browser's User-Agent when it was trusted" }),
  browser: Type.Union([Type.String(), Type.Null()], { description: 'From the label, as "Your devices" names it: e.g. "Chrome 131"' }),
  system: Type.Union([Type.String(), Type.Null()]),
  address: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  lastUsedAt: Type.String(),
  expiresAt: Type.String(),
  current: Type.Boolean(),
});

export function trustedDeviceRoutes(app: FastifyInstance, deps: { devices: TrustedDevicesService; audit: RecordAudit }): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['account'];

  r.get(
    '/api/me/trusted-devices',
    {
      config: { access: 'full' },
      schema: { tags, summary: 'Browsers trusted for this account (device cookies)', response: { 200: Type.Object({ devices: Type.Array(DeviceSchema) }) } },
    },
    async (request) => {
      const devices = await deps.devices.list(actorOf(request).id, deviceTokenOf(request, deps.devices));
      // Named like "Your devices" names sessions (one parser, sessions/user-agent.ts), never the raw header.
      return { devices: devices.map((device) => ({ ...device, ...describeUserAgent(device.label || null) })) };
    },
  );

  r.delete(
    '/api/me/trusted-devices/:id',
    {
      config: { access: 'full', stepUp: true },
      schema: {
        tags,
        summary: 'Stop trusting a device',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const user = actorOf(request);
      if (!(await deps.devices.revoke(user.id, request.params.id))) throw new AppError('not_found', 'No such device.');
      await deps.audit({ kind: 'device.revoked', actor: user, subject: user, address: request.ip, details: { deviceId: request.params.id } });
      return reply.code(204).send();
    },
  );
}
