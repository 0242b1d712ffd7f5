// CSRF defence for state-changing calls: browsers say where a request comes from
// (Sec-Fetch-Site, Origin); anything from another site is refused. Scripts send neither and pass.
import { hookList } from './route-hooks.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A protocol endpoint other sites call by design (OpenID Connect's token endpoint); it has its own checks. */
    allowCrossSite?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/**
 * The origins a browser may send state changes from: the public URL's. When that is a loopback
 * address (the default, http://localhost:3000), its loopback aliases on the same port count too,
 * so a newcomer who opens http://127.0.0.1:3000 as the server prints is not refused.
 */
export function allowedOrigins(publicUrl: URL): Set<string> {
  const origins = new Set([publicUrl.origin]);
  if (LOOPBACK_HOSTS.includes(publicUrl.hostname)) {
    const port = publicUrl.port ? `:${publicUrl.port}` : '';
    for (const host of LOOPBACK_HOSTS) origins.add(`${publicUrl.protocol}//${host}${port}`);
  }
  return origins;
}

/**
 * The guard runs first on every route that changes state (a route-level hook, so reads pay
 * nothing). A route with both safe and unsafe methods is guarded for the unsafe ones.
 */
export function guardAgainstCrossSite(app: FastifyInstance, publicUrl: URL): void {
  const allowed = allowedOrigins(publicUrl);
  const guard = (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void => {
    if (SAFE_METHODS.has(request.method)) {
      done();
      return;
    }
    const origin = request.headers.origin;
    const refused = request.headers['sec-fetch-site'] === 'cross-site' || (origin !== undefined && !allowed.has(origin));
    done(refused ? new AppError('cross_site') : undefined);
  };
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (route.config?.allowCrossSite || methods.every((method) => SAFE_METHODS.has(method))) return;
    const existing = hookList(route.onRequest);
    route.onRequest = [guard, ...existing];
  });
}
