// Signing in: POST /api/session (the password) and POST /api/session/second-factor (the code);
// a full sign-in makes the browser a trusted device (device cookie) and may carry a warning for
// the owner, acknowledged with DELETE /api/session/warning.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { clearSessionCookies, startSession } from '../sessions/index.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { deviceTokenOf, rememberBrowser, type TrustedDevicesService } from '../trusted-devices/index.js';
import { actorOf } from '../sessions/index.js';
import type { SessionsService } from '../sessions/index.js';
import { AMR_TWO_FACTOR, withSecondStep } from '../../core/amr.js';
import { AMR_PASSWORD } from '../../core/amr.js';
import { CodeSchema } from '../two-factor/index.js';
import { presentUser } from '../users/index.js';
import { EmailSchema, PasswordSchema } from '../users/index.js';
import type { SignInService } from './sign-in.service.js';
import { NO_CONTROL } from '../../http/query.js';

/** An email or a directory login name: no control characters (a NUL never reaches the directory). */
const LoginNameSchema = Type.String({ minLength: 1, maxLength: 320, pattern: `^[^${NO_CONTROL}]+$` });

/** An email (≤ 320) and a password (≤ 256 characters, ≤ 4 bytes each) fit with room to spare. */
const SIGN_IN_BODY_LIMIT = 4096;

export function signInRoutes(
  app: FastifyInstance,
  deps: { signIn: SignInService; sessions: SessionsService; devices: TrustedDevicesService; signinRateLimit: number; directoryLogins?: boolean },
): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const rateLimit = deps.signinRateLimit > 0 ? { rateLimit: { max: deps.signinRateLimit, timeWindow: 60_000 } } : {};

  r.post(
    '/api/session',
    {
      config: { access: 'public', ...rateLimit },
      bodyLimit: SIGN_IN_BODY_LIMIT,
      schema: {
        tags: ['session'],
        summary: 'Sign in with email and password',
        // With a directory, `email` may also be a login name (uid, sAMAccountName).
        body: Type.Object({ email: deps.directoryLogins ? LoginNameSchema : EmailSchema, password: PasswordSchema }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const result = await deps.signIn.passwordStep(request.body.email, request.body.password, request.ip, deviceTokenOf(request, deps.devices));
      const userId = result.user.id;
      switch (result.status) {
        case 'second_factor_required':
          await startSession(reply, deps.sessions, { userId, kind: 'pending', address: request.ip });
          return { status: result.status };
        case 'two_factor_setup_required':
          await startSession(reply, deps.sessions, { userId, kind: 'restricted', address: request.ip, amr: AMR_PASSWORD });
          return { status: result.status };
        case 'authenticated':
          await startSession(reply, deps.sessions, { userId, kind: 'full', address: request.ip, amr: AMR_PASSWORD });
          await rememberBrowser(request, reply, deps.devices, result.browser);
          return {
            status: result.status,
            user: presentUser(result.user, false, { twoFactorRequiredBy: result.decision.requiredBy }),
            ...(result.warning ? { warning: result.warning } : {}),
          };
      }
    },
  );

  r.post(
    '/api/session/second-factor',
    {
      config: { access: 'pending', ...rateLimit },
      bodyLimit: SIGN_IN_BODY_LIMIT,
      schema: {
        tags: ['session'],
        summary: 'Second step: a code from the app or one backup code',
        body: Type.Object({ code: CodeSchema }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const pending = request.session!;
      // The browser is recognised once: its counter is spent here, its trust renewed below.
      const browser = await deps.devices.recognise(pending.user.id, deviceTokenOf(request, deps.devices));
      const result = await deps.signIn.secondFactorStep(pending.user, request.body.code, request.ip, browser.counterKey);
      // The pending sign-in is consumed exactly once; a racing twin that lost gets no session.
      if (!(await deps.sessions.end(pending.tokenHash))) {
        clearSessionCookies(reply, deps.sessions);
        return reply.code(401).send({ error: 'no_pending_sign_in', message: 'This sign-in was already completed.' });
      }
      await startSession(reply, deps.sessions, {
        userId: pending.user.id,
        kind: 'full',
        address: request.ip,
        amr: withSecondStep(pending.federated, AMR_TWO_FACTOR),
      });
      await rememberBrowser(request, reply, deps.devices, browser);
      const user = presentUser(pending.user, true);
      const warning = result.warning ? { warning: result.warning } : {};
      return result.method === 'backup_code'
        ? { status: 'authenticated', user, method: result.method, backupCodesLeft: result.backupCodesLeft, ...warning }
        : { status: 'authenticated', user, method: result.method, ...warning };
    },
  );

  r.delete(
    '/api/session/warning',
    { config: { access: 'full' }, schema: { tags: ['session'], summary: 'The owner has seen the sign-in warning' } },
    async (request, reply) => {
      await deps.signIn.acknowledgeWarning(actorOf(request).id);
      return reply.code(204).send();
    },
  );
}
