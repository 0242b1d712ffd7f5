// Who may go where, over HTTP: groups and their members, forward-auth applications and their
// rules, and "Can this person reach this address?". Administrators only; every change behind
// step-up. A signed-in person reads their own groups (GET /api/me/groups).
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { NO_CONTROL, QueryText } from '../../http/query.js';
import { actorOf } from '../sessions/index.js';
import { findUserByEmail, normalizeEmail } from '../users/index.js';
import { AppError } from '../../http/errors.js';
import { STRENGTHS } from '../../core/session-strength.js';
import type { AccessOverview } from '../../shared/api-types.js';
import type { GroupsService } from './groups.service.js';
import type { AccessRulesService } from './access-rules.service.js';
import type { AccessPolicy } from './access-policy.service.js';
import { MAX_PATH_LENGTH, MAX_SUBJECTS_PER_RULE, strength } from './access.validation.js';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';

export interface AccessRouteDeps {
  db: Kysely<DB>;
  groups: GroupsService;
  accessRules: AccessRulesService;
  accessPolicy: AccessPolicy;
}

const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: `^[^${NO_CONTROL}]*$` });
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const Factors = Type.Union(STRENGTHS.map((s) => Type.Literal(s)));

export function accessRoutes(app: FastifyInstance, deps: AccessRouteDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['access'];
  const admin = { access: 'admin' as const };
  const adminChange = { access: 'admin' as const, stepUp: true };

  r.get('/api/me/groups', { config: { access: 'full' }, schema: { tags, summary: 'The groups of the signed-in account (read-only)' } }, async (request) => ({
    groups: await deps.groups.namesOf(request.session!.user.id),
  }));

  r.get(
    '/api/admin/groups',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Groups by name, with their member counts',
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })), after: Type.Optional(QueryText(64)) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => ({ groups: await deps.groups.list({ limit: request.query.limit, after: request.query.after }) }),
  );

  r.get('/api/admin/groups/:id', { config: admin, schema: { tags, summary: 'One group and its members', params: IdParams } }, async (request) =>
    deps.groups.get(request.params.id),
  );

  r.post(
    '/api/admin/groups',
    {
      config: adminChange,
      bodyLimit: 4096,
      schema: { tags, summary: 'Create a group (lowercase letters, digits, - and _)', body: Type.Object({ name: Text(64) }, { additionalProperties: false }) },
    },
    async (request, reply) => reply.code(201).send(await deps.groups.create(request.body.name, actorOf(request), request.ip)),
  );

  r.patch(
    '/api/admin/groups/:id',
    {
      config: adminChange,
      bodyLimit: 4096,
      schema: { tags, summary: 'Rename a group', params: IdParams, body: Type.Object({ name: Text(64) }, { additionalProperties: false }) },
    },
    async (request, reply) => {
      await deps.groups.rename(request.params.id, request.body.name, actorOf(request), request.ip);
      return reply.code(204).send();
    },
  );

  r.delete(
    '/api/admin/groups/:id',
    { config: adminChange, schema: { tags, summary: 'Delete a group (refused while a rule or an OpenID Connect application names it)', params: IdParams } },
    async (request, reply) => {
      await deps.groups.delete(request.params.id, actorOf(request), request.ip);
      return reply.code(204).send();
    },
  );

  r.post(
    '/api/admin/groups/:id/members',
    {
      config: adminChange,
      bodyLimit: 4096,
      schema: {
        tags,
        summary: 'Add an account to a group, by its email',
        params: IdParams,
        body: Type.Object({ email: Text(320) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const user = await findUserByEmail(deps.db, request.body.email);
      if (!user) throw new AppError('invalid_request', `There is no user with the email ${normalizeEmail(request.body.email)}.`);
      const added = await deps.groups.addMember(request.params.id, user.id, actorOf(request), request.ip);
      return reply.code(added ? 201 : 200).send({ added });
    },
  );

  r.delete(
    '/api/admin/groups/:id/members/:userId',
    {
      config: adminChange,
      schema: {
        tags,
        summary: 'Remove an account from a group (counts from its next request, on every instance)',
        params: Type.Object({ id: Type.String({ maxLength: 64 }), userId: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const removed = await deps.groups.removeMember(request.params.id, request.params.userId, actorOf(request), request.ip);
      if (!removed) throw new AppError('not_found', 'This account is not a member of this group.');
      return reply.code(204).send();
    },
  );

  r.get(
    '/api/admin/access',
    { config: admin, schema: { tags, summary: 'Forward-auth applications with their rules, and the default for other hosts' } },
    async () => {
      const overview: AccessOverview = { ...(await deps.accessPolicy.defaults()), applications: await deps.accessRules.list() };
      return overview;
    },
  );

  r.post(
    '/api/admin/access/applications',
    {
      config: adminChange,
      bodyLimit: 4096,
      schema: {
        tags,
        summary: 'Name a host guarded by forward auth (no rules yet: everything on it is refused)',
        body: Type.Object({ host: Text(300), name: Type.Optional(Text(100)) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => reply.code(201).send(await deps.accessRules.createApplication(request.body, actorOf(request), request.ip)),
  );

  r.patch(
    '/api/admin/access/applications/:id',
    {
      config: adminChange,
      bodyLimit: 4096,
      schema: { tags, summary: 'Rename a forward-auth application', params: IdParams, body: Type.Object({ name: Text(100) }, { additionalProperties: false }) },
    },
    async (request, reply) => {
      await deps.accessRules.renameApplication(request.params.id, request.body.name, actorOf(request), request.ip);
      return reply.code(204).send();
    },
  );

  r.delete(
    '/api/admin/access/applications/:id',
    { config: adminChange, schema: { tags, summary: 'Remove a forward-auth application and its rules (its host then follows the default)', params: IdParams } },
    async (request, reply) => {
      const removed = await deps.accessRules.remove(request.params.id, actorOf(request), request.ip);
      if (removed !== 'application') throw new AppError('not_found', 'No such application.');
      return reply.code(204).send();
    },
  );

  r.post(
    '/api/admin/access/rules',
    {
      config: adminChange,
      // Room for a list far over the limit, so that it is refused in words (400), not by size.
      bodyLimit: 256 * 1024,
      schema: {
        tags,
        summary: 'Add a rule: who may enter under a path of a host (the application is created with its first rule)',
        body: Type.Object(
          {
            host: Text(300),
            path: Type.Optional(Text(MAX_PATH_LENGTH)),
            // A few more than the limit, so that the service refuses an over-long list in its own words.
            allow: Type.Optional(Type.Array(Text(330), { maxItems: MAX_SUBJECTS_PER_RULE * 100 })),
            deny: Type.Optional(Type.Literal(true)),
            factors: Type.Optional(Factors),
            name: Type.Optional(Text(100)),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => reply.code(201).send(await deps.accessRules.addRule(request.body, actorOf(request), request.ip)),
  );

  r.delete('/api/admin/access/rules/:id', { config: adminChange, schema: { tags, summary: 'Remove a rule', params: IdParams } }, async (request, reply) => {
    const removed = await deps.accessRules.remove(request.params.id, actorOf(request), request.ip);
    if (removed !== 'rule') throw new AppError('not_found', 'No such rule.');
    return reply.code(204).send();
  });

  r.get(
    '/api/admin/access/check',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Can this person reach this address? The decision, the rule that matched and why',
        querystring: Type.Object({ email: Text(320), url: Text(4096), factors: Type.Optional(Factors) }, { additionalProperties: false }),
      },
    },
    async (request) => deps.accessPolicy.check({ email: request.query.email, url: request.query.url, factors: strength(request.query.factors) }),
  );
}
