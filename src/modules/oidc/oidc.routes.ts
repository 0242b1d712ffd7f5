// OpenID Connect over HTTP: oidc-provider (a Koa app) mounted under /oidc and at the discovery
// address, and Gatehouse's own JSON calls around it: the interaction (sign-in, second step,
// consent) the React pages drive, applications for administrators, and a person's granted
// applications.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type Provider from 'oidc-provider';
import { actorOf, type SessionsService, writeSessionCookies } from '../sessions/index.js';
import { deviceTokenOf, type TrustedDevicesService } from '../trusted-devices/index.js';
import { CodeSchema } from '../two-factor/index.js';
import type { ClientsService } from './clients.service.js';
import type { GrantsService } from './grants.service.js';
import type { InteractionsService } from './interactions.service.js';
import type { OidcService } from './oidc.service.js';
import { OIDC_PREFIX, handOver, issuerOf } from './handoff.js';

const UidParams = Type.Object({ uid: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) }, { additionalProperties: false });
const IdParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) }, { additionalProperties: false });
const Uri = Type.String({ minLength: 1, maxLength: 2000 });
/** Group names are checked by the access module (clear 400s naming the group); this only bounds the size. */
const AllowedGroups = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 200 });

export interface OidcRouteDeps {
  oidc: OidcService;
  interactions: InteractionsService;
  clients: ClientsService;
  grants: GrantsService;
  sessions: SessionsService;
  devices: TrustedDevicesService;
  publicUrl: URL;
  signinRateLimit: number;
}

export async function oidcRoutes(app: FastifyInstance, deps: OidcRouteDeps): Promise<void> {
  await mountProvider(app, deps);
  interactionRoutes(app, deps);
  applicationRoutes(app, deps);
}

/**
 * oidc-provider answers its own endpoints on the raw request: Fastify resolves the Gatehouse
 * session (the provider asks for it), then hands over the untouched body stream. The endpoints are
 * called across sites by design (a token request from an application's server, a public client's
 * CORS call, a logout form), so the cross-site guard leaves them to the provider's own checks.
 */
async function mountProvider(app: FastifyInstance, deps: OidcRouteDeps): Promise<void> {
  const basePath = new URL(issuerOf(deps.publicUrl)).pathname.replace(/\/$/, '');
  const proto = deps.publicUrl.protocol.slice(0, -1);
  const callbacks = new WeakMap<Provider, ReturnType<Provider['callback']>>();
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const provider = await deps.oidc.current();
    let callback = callbacks.get(provider);
    if (!callback) {
      callback = provider.callback();
      callbacks.set(provider, callback);
    }
    const raw = request.raw as IncomingMessage & { originalUrl?: string };
    handOver(raw, { session: request.session, address: request.ip });
    // Every address the provider builds (endpoints, redirects, cookie paths) follows the public URL.
    raw.headers['x-forwarded-host'] = deps.publicUrl.host;
    raw.headers['x-forwarded-proto'] = proto;
    raw.originalUrl = basePath + (raw.url ?? '/');
    reply.hijack();
    callback(raw, reply.raw);
  };
  await app.register(async (scope) => {
    // The provider reads (and limits) its own bodies, form-encoded or JSON.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    for (const url of ['/.well-known/openid-configuration', `${OIDC_PREFIX}/*`]) {
      scope.route({
        method: ['GET', 'POST', 'OPTIONS'],
        url,
        config: { access: 'public', readsSession: true, allowCrossSite: true },
        schema: { hide: true },
        handler,
      });
    }
  });
}

function interactionRoutes(app: FastifyInstance, deps: OidcRouteDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['openid-connect'];
  const rateLimit = deps.signinRateLimit > 0 ? { rateLimit: { max: deps.signinRateLimit, timeWindow: 60_000 } } : {};

  r.get(
    '/api/oidc/interactions/:uid',
    { config: { access: 'public', readsSession: true }, schema: { tags, summary: 'What an application’s sign-in request still needs', params: UidParams } },
    async (request) => deps.interactions.details(request.params.uid, request.session),
  );

  r.post(
    '/api/oidc/interactions/:uid/continue',
    {
      config: { access: 'full' },
      schema: {
        tags,
        summary: 'Finish the step the request is at (consent needs approve: true); answers where the browser goes',
        params: UidParams,
        body: Type.Object({ approve: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      },
    },
    async (request) => deps.interactions.continue(request.params.uid, request.session!, request.body.approve === true, request.ip),
  );

  r.post(
    '/api/oidc/interactions/:uid/second-factor',
    {
      config: { access: 'full', ...rateLimit },
      schema: {
        tags,
        summary: 'The second step for an application that requires it',
        params: UidParams,
        body: Type.Object({ code: CodeSchema }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const userAgent = request.headers['user-agent'];
      const started = await deps.interactions.secondFactor(request.params.uid, request.session!, request.body.code, {
        address: request.ip,
        userAgent: typeof userAgent === 'string' ? userAgent : null,
        deviceToken: deviceTokenOf(request, deps.devices),
      });
      writeSessionCookies(reply, deps.sessions, started);
      return reply.code(204).send();
    },
  );

  r.post(
    '/api/oidc/interactions/:uid/abort',
    { config: { access: 'public' }, schema: { tags, summary: 'Decline: the application hears access_denied', params: UidParams } },
    async (request) => deps.interactions.abort(request.params.uid),
  );
}

function applicationRoutes(app: FastifyInstance, deps: OidcRouteDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['applications'];

  r.get(
    '/api/admin/applications',
    { config: { access: 'admin' }, schema: { tags, summary: 'Applications that sign people in with OpenID Connect' } },
    async () => ({
      applications: await deps.clients.list(),
    }),
  );

  r.post(
    '/api/admin/applications',
    {
      config: { access: 'admin', stepUp: true },
      schema: {
        tags,
        summary: 'Create an application (its secret is shown this once)',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            redirectUris: Type.Array(Uri, { minItems: 1, maxItems: 20 }),
            postLogoutRedirectUris: Type.Optional(Type.Array(Uri, { maxItems: 20 })),
            public: Type.Optional(Type.Boolean()),
            require2fa: Type.Optional(Type.Boolean()),
            trusted: Type.Optional(Type.Boolean()),
            legacyNoPkce: Type.Optional(Type.Boolean()),
            allowedGroups: Type.Optional(AllowedGroups),
            backchannelLogoutUri: Type.Optional(Uri),
            backchannelLogoutSessionRequired: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => reply.code(201).send(await deps.clients.create(request.body, actorOf(request), request.ip)),
  );

  r.patch(
    '/api/admin/applications/:id',
    {
      config: { access: 'admin', stepUp: true },
      schema: {
        tags,
        summary: 'Restrict an application to groups (an empty list opens it to everyone), or set its back-channel logout address (null: none)',
        params: IdParams,
        body: Type.Object(
          {
            allowedGroups: Type.Optional(AllowedGroups),
            backchannelLogoutUri: Type.Optional(Type.Union([Uri, Type.Null()])),
            backchannelLogoutSessionRequired: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => deps.clients.update(request.params.id, request.body, actorOf(request), request.ip),
  );

  r.delete(
    '/api/admin/applications/:id',
    { config: { access: 'admin', stepUp: true }, schema: { tags, summary: 'Delete an application and everything issued to it', params: IdParams } },
    async (request, reply) => {
      await deps.clients.delete(request.params.id, actorOf(request), request.ip);
      return reply.code(204).send();
    },
  );

  r.get(
    '/api/admin/users/:id/applications',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'The applications a user allowed to sign them in (what ending their sessions revokes)',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
      },
    },
    async (request) => ({ applications: await deps.grants.list(request.params.id) }),
  );

  r.get('/api/me/applications', { config: { access: 'full' }, schema: { tags, summary: 'Applications you allowed to sign you in' } }, async (request) => ({
    applications: await deps.grants.list(request.session!.user.id),
  }));

  r.delete(
    '/api/me/applications/:id',
    { config: { access: 'full' }, schema: { tags, summary: 'Revoke an application’s access (its tokens stop working)', params: IdParams } },
    async (request, reply) => {
      await deps.grants.revoke(actorOf(request), request.params.id, request.ip);
      return reply.code(204).send();
    },
  );
}
