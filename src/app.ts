// buildApp: the Fastify instance with every route, no listen (tests call app.inject()).
import { hookList } from './http/route-hooks.js';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Ajv } from 'ajv';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Services } from './services.js';
import { AppError, registerErrorHandler } from './http/errors.js';
import { guardAgainstCrossSite } from './http/cross-site.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { accessOf, registerAccessControl, type Access } from './modules/sessions/index.js';
import { lazyChildLogger, registerRequestAccounting } from './http/request-log.js';
import { throttleKeyForAddress } from './http/client-address.js';
import { MODULES } from './modules/index.js';
import { REQUEST_CONNECTION_WAIT_BUDGET_MS, withConnectionWaitBudget } from './db/connection-wait-budget.js';

export const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'web', 'dist');

/** Log redaction: secrets never reach the log, whatever a handler or plugin logs. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.code',
  '*.token',
  '*.secret',
  '*.key',
  '*.backupCodes',
];

export interface RouteEntry {
  method: string;
  url: string;
  access: Access;
  /** Needs a recent step-up (re-authentication). */
  stepUp: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: RouteEntry[];
  }
}

export interface AppOptions {
  /** false in tests that want a quiet run; otherwise pino at the configured level. */
  logger?: boolean;
}

export async function buildApp(s: Services, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger === false ? false : { level: s.config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    trustProxy: s.config.trustProxy.length > 0 ? [...s.config.trustProxy] : false,
    bodyLimit: 16 * 1024,
    return503OnClosing: true,
    // One access-log line per request (request-log.ts), not Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyChildLogger,
  });

  registerValidation(app);
  // With PostgreSQL all of a request's waits for connections share one budget (connection-wait-budget.ts).
  // SQLite has no pool to wait on, and the hot routes do not pay for the async context there.
  if (s.dialect === 'postgres') {
    app.addHook('onRequest', (_request, _reply, done) => withConnectionWaitBudget(REQUEST_CONNECTION_WAIT_BUDGET_MS, done));
  }
  const accounting = registerRequestAccounting(app, { tally: s.metrics.requestTally, hotRoutes: ['GET /api/session', 'GET /api/verify'] });
  registerErrorHandler(app, accounting.recordUnmatched);
  registerSecurityHeaders(app, s.config.secureCookies);
  await app.register(rateLimit, {
    global: false,
    keyGenerator: (request) => throttleKeyForAddress(request.ip),
    errorResponseBuilder: (_request, context) => {
      const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return new AppError('rate_limited', undefined, { retryAfterSeconds: seconds }, { 'retry-after': String(seconds) });
    },
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Gatehouse', description: 'Self-hosted sign-in platform: the HTTP API.', version: '0.1.0' },
      components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'gatehouse_session' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { docExpansion: 'list' } });

  guardAgainstCrossSite(app, s.config.publicUrl);

  // Every route with its access level: the 2FA-bypass and fuzz tests walk this table.
  const routeTable: RouteEntry[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      routeTable.push({ method, url: route.url, access: accessOf(route.url, route.config?.access), stepUp: route.config?.stepUp === true });
    }
  });

  registerAccessControl(app, s);
  refuseUnexpectedBodies(app);

  for (const feature of MODULES) await feature.register(app, s);
  await registerWebUi(app);
  return app;
}

/**
 * Two validators: JSON bodies are taken as typed (a "3" is not a number, an extra field is an
 * error, not silently dropped); query strings and path parameters are text, so they are coerced.
 */
function registerValidation(app: FastifyInstance): void {
  const options = { removeAdditional: false, useDefaults: true, allErrors: false, strict: false } as const;
  const bodies = new Ajv({ ...options, coerceTypes: false });
  const urlParts = new Ajv({ ...options, coerceTypes: 'array' });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodies : urlParts).compile(schema));
}

/**
 * A call that takes no body refuses one (other than {}), rather than ignoring what was sent: a
 * route-level hook on the routes without a body schema, after access control.
 */
function refuseUnexpectedBodies(app: FastifyInstance): void {
  const refuse = (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void => {
    const body: unknown = request.body;
    const empty = body === undefined || body === null || (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0);
    done(empty ? undefined : new AppError('invalid_request', 'This call takes no body.'));
  };
  app.addHook('onRoute', (route) => {
    if (route.schema?.body) return;
    const existing = hookList(route.preValidation);
    route.preValidation = [...existing, refuse];
  });
}

/** The React app from web/dist, with index.html for every client-side route. */
async function registerWebUi(app: FastifyInstance): Promise<void> {
  const index = path.join(WEB_DIST, 'index.html');
  if (!fs.existsSync(index)) {
    app.get('/', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html').send('<!doctype html><title>Gatehouse</title><p>The web UI is not built yet: run <code>npm run build</code>.</p>'),
    );
    return;
  }
  await app.register(fastifyStatic, { root: WEB_DIST, prefix: '/', wildcard: false, index: false, cacheControl: false });
  const html = fs.readFileSync(index);
  const page = async (_request: unknown, reply: import('fastify').FastifyReply) => reply.type('text/html').header('cache-control', 'no-store').send(html);
  for (const route of [
    '/',
    '/sign-in',
    '/account',
    '/account/*',
    '/admin',
    '/admin/*',
    '/enrol',
    '/interaction/*',
    '/forgot-password',
    '/reset-password',
    '/setup',
    '/invitation',
    '/email-change',
    '/email-change/undo',
    '/register',
    '/step-up',
  ]) {
    app.get(route, { config: { access: 'public' }, schema: { hide: true } }, page);
  }
}
