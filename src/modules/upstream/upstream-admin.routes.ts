// Upstream providers for administrators (add with discovery at once, change, remove) and one's own
// linked providers (list, unlink). Adding, trusting for MFA and removing weaken or widen the way in:
// each needs a step-up; so does unlinking (a stolen cookie must not cut the owner's way back).
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { NO_CONTROL } from '../../http/query.js';
import { actorOf } from '../sessions/index.js';
import type { Notify } from '../mail/index.js';
import { PROVIDER_PRESETS, type UpstreamService } from './upstream.service.js';

const NameSchema = Type.String({ minLength: 1, maxLength: 64, pattern: `^[^${NO_CONTROL}]+$` });
const IdText = Type.String({ maxLength: 64, pattern: `^[^${NO_CONTROL}]*$` });
const IdParams = Type.Object({ id: IdText }, { additionalProperties: false });
/** A data: URL of an image (the service checks its type and size); null removes it. */
const LogoSchema = Type.Union([Type.String({ maxLength: 49_152 }), Type.Null()]);
const GroupsClaimSchema = Type.Union([Type.String({ maxLength: 128 }), Type.Null()]);
const GroupMapSchema = Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Type.String({ minLength: 1, maxLength: 64 }), { maxProperties: 100 });

export function upstreamAdminRoutes(app: FastifyInstance, deps: { providers: UpstreamService; notify: Notify }): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['administration'];

  r.get(
    '/api/admin/upstream',
    { config: { access: 'admin' }, schema: { tags, summary: 'The upstream OpenID Connect providers (never their secrets)' } },
    async () => ({
      providers: await deps.providers.list(),
    }),
  );

  r.post(
    '/api/admin/upstream',
    {
      config: { access: 'admin', stepUp: true },
      schema: {
        tags,
        summary:
          'Add a provider: any OpenID Connect issuer, or a preset (google, entra with its tenant, gitlab, github); discovery at once: 400 upstream_discovery_failed when it does not answer',
        body: Type.Object(
          {
            preset: Type.Optional(Type.Union(PROVIDER_PRESETS.map((p) => Type.Literal(p)))),
            name: NameSchema,
            issuer: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
            tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
            clientId: Type.String({ minLength: 1, maxLength: 255, pattern: `^[^${NO_CONTROL}]+$` }),
            clientSecret: Type.String({ minLength: 1, maxLength: 1024 }),
            trustedMfa: Type.Optional(Type.Boolean()),
            logo: Type.Optional(LogoSchema),
            groupsClaim: Type.Optional(GroupsClaimSchema),
            groupMap: Type.Optional(GroupMapSchema),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => reply.code(201).send(await deps.providers.add(request.body, actorOf(request), request.ip)),
  );

  r.patch(
    '/api/admin/upstream/:id',
    {
      config: { access: 'admin', stepUp: true },
      schema: {
        tags,
        summary: 'Enable or disable a provider, rename it, trust it for MFA or not, change its logo or group mapping',
        params: IdParams,
        body: Type.Object(
          {
            enabled: Type.Optional(Type.Boolean()),
            name: Type.Optional(NameSchema),
            trustedMfa: Type.Optional(Type.Boolean()),
            logo: Type.Optional(LogoSchema),
            groupsClaim: Type.Optional(GroupsClaimSchema),
            groupMap: Type.Optional(GroupMapSchema),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
      },
    },
    async (request) => deps.providers.change(request.params.id, request.body, actorOf(request), request.ip),
  );

  r.delete(
    '/api/admin/upstream/:id',
    { config: { access: 'admin', stepUp: true }, schema: { tags, summary: 'Remove a provider and every link to it (the accounts stay)', params: IdParams } },
    async (request, reply) => {
      await deps.providers.remove(request.params.id, actorOf(request), request.ip);
      return reply.code(204).send();
    },
  );

  r.get(
    '/api/admin/users/:id/upstream',
    { config: { access: 'admin' }, schema: { tags, summary: 'The providers an account is linked to', params: IdParams } },
    async (request) => ({ links: await deps.providers.linksOf(request.params.id) }),
  );

  r.post(
    '/api/admin/users/:id/upstream',
    {
      config: { access: 'admin', stepUp: true },
      schema: {
        tags,
        summary: 'Link an account to a provider’s subject by hand (the owner is mailed) · 409 upstream_subject_linked',
        params: IdParams,
        body: Type.Object({ providerId: IdText, subject: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const link = await deps.providers.linkByAdmin(
        { userId: request.params.id, providerId: request.body.providerId, subject: request.body.subject },
        actorOf(request),
        request.ip,
        (trx, userId, provider) => deps.notify(trx, userId, { kind: 'upstream_linked', provider }),
      );
      return reply.code(201).send(link);
    },
  );

  r.get(
    '/api/me/upstream',
    { config: { access: 'full' }, schema: { tags: ['account'], summary: 'The providers this account is linked to' } },
    async (request) => ({
      links: await deps.providers.linksOf(actorOf(request).id),
    }),
  );

  r.delete(
    '/api/me/upstream/:providerId',
    {
      config: { access: 'full', stepUp: true },
      schema: {
        tags: ['account'],
        summary: 'Unlink a provider · 409 last_way_to_sign_in when the account has no password and no other link',
        params: Type.Object({ providerId: IdText }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      await deps.providers.unlink(actorOf(request), request.params.providerId, request.ip);
      return reply.code(204).send();
    },
  );
}
