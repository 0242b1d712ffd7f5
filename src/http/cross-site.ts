// CSRF defence for state-changing calls: browsers say where a request comes from
// (Sec-Fetch-Site, Origin); anything from another site is refused. Scripts send neither and pass.
import type { FastifyRequest } from 'fastify';
import { AppError } from './errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function makeCrossSiteGuard(publicUrl: URL) {
  const allowedOrigin = publicUrl.origin;
  return async function crossSiteGuard(request: FastifyRequest): Promise<void> {
    if (SAFE_METHODS.has(request.method)) return;
    const fetchSite = request.headers['sec-fetch-site'];
    if (fetchSite === 'cross-site') throw new AppError('cross_site');
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== allowedOrigin) throw new AppError('cross_site');
  };
}
