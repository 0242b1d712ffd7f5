// CSRF defence for state-changing calls: browsers say where a request comes from
// (Sec-Fetch-Site, Origin); anything from another site is refused. Scripts send neither and pass.
import type { FastifyRequest } from 'fastify';
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

export function makeCrossSiteGuard(publicUrl: URL) {
  const allowed = allowedOrigins(publicUrl);
  return async function crossSiteGuard(request: FastifyRequest): Promise<void> {
    if (SAFE_METHODS.has(request.method) || request.routeOptions.config?.allowCrossSite) return;
    const fetchSite = request.headers['sec-fetch-site'];
    if (fetchSite === 'cross-site') throw new AppError('cross_site');
    const origin = request.headers.origin;
    if (origin !== undefined && !allowed.has(origin)) throw new AppError('cross_site');
  };
}
