// The one place that decides what a session may do. Every route declares its access level in
// its config; a route that declares nothing is treated as needing a full session, so a new
// route is closed until someone opens it on purpose.
import { hookList } from '../../http/route-hooks.js';
import type { FastifyInstance, FastifyRequest, preValidationHookHandler } from 'fastify';
import { AppError } from '../../http/errors.js';
import type { ResolvedSession, SessionsService } from './sessions.service.js';
import { sessionOf } from './session-cookie.js';

/**
 * public: anyone. pending: only a sign-in waiting for its second factor.
 * enrolment: a full session, or a restricted one that must enrol in 2FA (setup, enable, whoami, sign-out).
 * full: a signed-in user. admin: a signed-in administrator.
 */
export type Access = 'public' | 'pending' | 'enrolment' | 'full' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** A public route that still wants to know the caller's session (sign-out). */
    readsSession?: boolean;
    /**
     * Step-up: the session must have re-authenticated (POST /api/session/step-up) within the last
     * 10 minutes. For actions that change a factor or the password, or weaken an account or the
     * platform: a stolen cookie is exactly a fresh sign-in, so signing in does not count.
     */
    stepUp?: boolean;
  }
  interface FastifyRequest {
    session: ResolvedSession | null;
  }
}

/** A route's access level: what it declares, or closed (full) for an undeclared API route. */
export function accessOf(url: string, declared: Access | undefined): Access {
  return declared ?? (url.startsWith('/api/') ? 'full' : 'public');
}

export function authorize(access: Access, session: ResolvedSession | null): void {
  switch (access) {
    case 'public':
      return;
    case 'pending':
      if (session?.kind !== 'pending') throw new AppError('no_pending_sign_in');
      return;
    case 'enrolment':
      if (!session || session.kind === 'pending') throw new AppError('unauthenticated');
      return;
    case 'full':
    case 'admin':
      if (!session || session.kind === 'pending') throw new AppError('unauthenticated');
      if (session.kind === 'restricted') throw new AppError('two_factor_setup_required');
      if (access === 'admin' && session.user.role !== 'admin') throw new AppError('forbidden');
      return;
  }
}

/**
 * Each guarded route gets the check as its own first preValidation hook (public routes get none,
 * so they pay nothing): authorise before validating the body, so an anonymous caller learns
 * nothing about a route's shape.
 */
export function registerAccessControl(app: FastifyInstance, deps: { sessions: SessionsService }): void {
  app.decorateRequest('session', null);
  app.addHook('onRoute', (route) => {
    const config = route.config ?? {};
    const access = accessOf(route.url, config.access);
    const checks: preValidationHookHandler[] = [];
    if (access !== 'public' || config.readsSession) {
      const stepUp = config.stepUp === true;
      checks.push(async function checkAccess(request: FastifyRequest) {
        request.session = await sessionOf(request, deps.sessions);
        authorize(access, request.session);
        if (stepUp && !deps.sessions.isSteppedUp(request.session!)) throw new AppError('reauthentication_required');
      });
    }
    const existing = hookList(route.preValidation);
    route.preValidation = [...checks, ...existing];
  });
}

/** The signed-in user as an audit reference (after authorize, so the session exists). */
export function actorOf(request: FastifyRequest): { id: string; email: string } {
  const user = request.session!.user;
  return { id: user.id, email: user.email };
}
