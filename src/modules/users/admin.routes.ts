// Administration: users, Authentication settings and the audit log. Admins only (access 'admin').
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Services } from '../../services.js';
import { actorOf } from '../../http/access.js';
import { AdminUserSchema, EmailSchema, RoleSchema, QueryText } from '../../http/schemas.js';
import { accountCounterKey } from '../lockout/attempt-limiter.js';
import type { TwoFactorService } from '../two-factor/two-factor.service.js';
import type { AccessPolicy } from '../two-factor-policy/require-2fa.js';
import { usersWithTwoFactor } from '../two-factor/two-factor.repository.js';
import { presentAdminUser } from './user.presenter.js';
import type { UserRow } from './users.repository.js';
import { listUsers } from './users.query.js';
import { decodeCursor } from '../../http/cursor.js';
import { createUser, requireUser, unlockUser, updateUser } from './users.service.js';

export function adminUserRoutes(app: FastifyInstance, s: Services, deps: { twoFactor: TwoFactorService; policy: AccessPolicy }): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['administration'];

  async function present(rows: UserRow[]) {
    const ids = rows.map((u) => u.id);
    const [withTwoFactor, locks] = await Promise.all([usersWithTwoFactor(s.db, ids), s.limiter.lockedUntilMany(ids.map(accountCounterKey))]);
    return Promise.all(
      rows.map(async (u) => {
        const requirement = await deps.policy.describe(u, withTwoFactor.has(u.id));
        return presentAdminUser(u, withTwoFactor.has(u.id), locks.get(accountCounterKey(u.id)) ?? null, requirement);
      }),
    );
  }

  r.get(
    '/api/admin/users',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'List and search users',
        querystring: Type.Object(
          { q: Type.Optional(QueryText(320)), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })), cursor: Type.Optional(QueryText(200)) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const cursor = decodeCursor(request.query.cursor);
      const { rows, nextCursor } = await listUsers(s.db, { q: request.query.q, limit: request.query.limit ?? 50, cursor });
      return { users: await present(rows), nextCursor };
    },
  );

  r.post(
    '/api/admin/users',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Create a user',
        body: Type.Object({ email: EmailSchema, password: Type.String({ maxLength: 256 }), role: RoleSchema }, { additionalProperties: false }),
        response: { 201: AdminUserSchema },
      },
    },
    async (request, reply) => {
      const user = await createUser(s, request.body, actorOf(request), request.ip);
      return reply.code(201).send((await present([user]))[0]!);
    },
  );

  const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

  r.post('/api/admin/users/:id/2fa/disable', { config: { access: 'admin' }, schema: { tags, summary: "Turn off a user's 2FA", params: IdParams } }, async (request, reply) => {
    const user = await requireUser(s, request.params.id);
    await deps.twoFactor.disable({ id: user.id, email: user.email }, actorOf(request), request.ip, 'admin');
    await deps.policy.requireEnrolmentNow(user);
    return reply.code(204).send();
  });

  r.post('/api/admin/users/:id/unlock', { config: { access: 'admin' }, schema: { tags, summary: 'Lift a lockout', params: IdParams } }, async (request, reply) => {
    const user = await requireUser(s, request.params.id);
    await unlockUser(s, user, actorOf(request), request.ip);
    return reply.code(204).send();
  });

  r.patch(
    '/api/admin/users/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Block, unblock or change the role (never 2FA: nobody enables it for someone else)',
        params: IdParams,
        body: Type.Object({ blocked: Type.Optional(Type.Boolean()), role: Type.Optional(RoleSchema) }, { additionalProperties: false }),
        response: { 200: AdminUserSchema },
      },
    },
    async (request) => {
      const user = await requireUser(s, request.params.id);
      let updated = await updateUser(s, user, request.body, actorOf(request), request.ip);
      if (request.body.role !== undefined && request.body.role !== user.role) {
        await deps.policy.applyToUser(updated.id, updated.role);
        updated = await requireUser(s, updated.id);
      }
      return (await present([updated]))[0]!;
    },
  );
}
