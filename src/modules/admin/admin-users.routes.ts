// Administration of users: list and search, create, block and role, unlock, turning 2FA off.
// Admins only (access 'admin').
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { QueryText, cursorParam } from '../../http/query.js';
import type { RecordAudit } from '../audit/index.js';
import { actorOf } from '../sessions/index.js';
import type { SessionsService } from '../sessions/index.js';
import type { AttemptLimiter } from '../attempt-limits/index.js';
import { accountCounterKey } from '../../core/counter-keys.js';
import type { RequireTwoFactorPolicy } from '../two-factor/index.js';
import { usersWithTwoFactor } from '../two-factor/index.js';
import type { TwoFactorService } from '../two-factor/index.js';
import { usersWithCredentials } from '../webauthn/index.js';
import { presentAdminUser } from '../users/index.js';
import { AdminUserSchema, EmailSchema, NewPasswordSchema, ProfileSchema, RoleSchema } from '../users/index.js';
import { listUsers, type UserRow } from '../users/index.js';
import type { UsersService } from '../users/index.js';
import type { GroupsService } from '../access/index.js';

export interface AdminUserDeps {
  db: Kysely<DB>;
  users: UsersService;
  twoFactor: TwoFactorService;
  policy: RequireTwoFactorPolicy;
  limiter: AttemptLimiter;
  audit: RecordAudit;
  sessions: SessionsService;
  groups: GroupsService;
}

export function adminUserRoutes(app: FastifyInstance, deps: AdminUserDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['administration'];

  async function present(rows: UserRow[]) {
    const ids = rows.map((u) => u.id);
    const [withApp, withKeys, locks, groups] = await Promise.all([
      usersWithTwoFactor(deps.db, ids),
      usersWithCredentials(deps.db, ids),
      deps.limiter.locks(ids.map(accountCounterKey)),
      deps.groups.namesOfUsers(ids),
    ]);
    return Promise.all(
      rows.map(async (u) => {
        const factors = [...(withApp.has(u.id) ? (['totp'] as const) : []), ...(withKeys.has(u.id) ? (['webauthn'] as const) : [])];
        const requirement = await deps.policy.describe(u, factors.length > 0);
        return presentAdminUser(u, factors, locks.get(accountCounterKey(u.id)) ?? null, requirement, groups.get(u.id) ?? []);
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
      const { rows, nextCursor } = await listUsers(deps.db, {
        q: request.query.q,
        limit: request.query.limit ?? 50,
        cursor: cursorParam(request.query.cursor),
      });
      return { users: await present(rows), nextCursor };
    },
  );

  r.post(
    '/api/admin/users',
    {
      config: { access: 'admin', stepUp: true },
      schema: {
        tags,
        summary: 'Create a user',
        body: Type.Object({ email: EmailSchema, password: NewPasswordSchema, role: RoleSchema }, { additionalProperties: false }),
        response: { 201: AdminUserSchema },
      },
    },
    async (request, reply) => {
      const user = await deps.users.create(request.body, actorOf(request), request.ip);
      return reply.code(201).send((await present([user]))[0]!);
    },
  );

  const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

  r.post(
    '/api/admin/users/:id/2fa/disable',
    { config: { access: 'admin', stepUp: true }, schema: { tags, summary: "Turn off a user's 2FA (ends their sessions)", params: IdParams } },
    async (request, reply) => {
      const user = await deps.users.require(request.params.id);
      // An administrator turning off their own 2FA keeps the session they are using, like the owner does.
      await deps.twoFactor.disable({ id: user.id, email: user.email }, actorOf(request), request.ip, 'admin', request.session!.tokenHash);
      await deps.policy.requireEnrolmentNow(user);
      return reply.code(204).send();
    },
  );

  r.post(
    '/api/admin/users/:id/sessions/end',
    { config: { access: 'admin' }, schema: { tags, summary: "End all of a user's sessions (on every instance)", params: IdParams } },
    async (request, reply) => {
      const user = await deps.users.require(request.params.id);
      await deps.sessions.endAllFor(user.id);
      await deps.audit({
        kind: 'sessions.ended',
        actor: actorOf(request),
        subject: { id: user.id, email: user.email },
        address: request.ip,
        details: { by: 'admin' },
      });
      return reply.code(204).send();
    },
  );

  r.post(
    '/api/admin/users/:id/unlock',
    { config: { access: 'admin', stepUp: true }, schema: { tags, summary: 'Lift a lockout', params: IdParams } },
    async (request, reply) => {
      await deps.users.unlock(await deps.users.require(request.params.id), actorOf(request), request.ip);
      return reply.code(204).send();
    },
  );

  r.patch(
    '/api/admin/users/:id',
    {
      config: { access: 'admin', stepUp: true },
      schema: {
        tags,
        summary: 'Block, unblock or change the role (never 2FA: nobody enables it for someone else)',
        params: IdParams,
        body: Type.Object({ blocked: Type.Optional(Type.Boolean()), role: Type.Optional(RoleSchema) }, { additionalProperties: false }),
        response: { 200: AdminUserSchema },
      },
    },
    async (request) => {
      const user = await deps.users.require(request.params.id);
      return (await present([await deps.users.update(user, request.body, actorOf(request), request.ip)]))[0]!;
    },
  );

  r.put(
    '/api/admin/users/:id/profile',
    {
      config: { access: 'admin', stepUp: true },
      schema: {
        tags,
        summary: "Set a user's names (display, given, family), as the owner can on their account page · 400 invalid_request · 404 not_found",
        params: IdParams,
        body: ProfileSchema,
        response: { 200: AdminUserSchema },
      },
    },
    async (request) => {
      const user = await deps.users.require(request.params.id);
      await deps.users.setProfile(user, request.body, actorOf(request), request.ip);
      return (await present([await deps.users.require(user.id)]))[0]!;
    },
  );
}
