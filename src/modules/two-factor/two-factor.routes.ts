// The signed-in user's own second factors: status, enrolment, turning 2FA off, new backup codes
// (GET and POST /api/me/2fa/*). Security keys have their own routes (security-keys.routes.ts).
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { startSession } from '../sessions/index.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '../../http/errors.js';
import { actorOf } from '../sessions/index.js';
import type { SessionsService } from '../sessions/index.js';
import { AMR_TWO_FACTOR } from '../../core/amr.js';
import type { AttemptLimiter } from '../attempt-limits/index.js';
import { isAppCodeFormat } from '../totp/index.js';
import { BackupCodesSchema, CodeSchema } from './two-factor.schemas.js';
import { type CodeRefusal, refusedCodeError, type TwoFactorService } from './two-factor.service.js';
import { PasswordSchema } from '../users/index.js';
import { deviceTokenOf, type TrustedDevicesService } from '../trusted-devices/index.js';
import type { PasswordService } from '../account/index.js';

export function twoFactorRoutes(
  app: FastifyInstance,
  deps: { passwords: PasswordService; twoFactor: TwoFactorService; sessions: SessionsService; limiter: AttemptLimiter; devices: TrustedDevicesService },
): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['account'];

  r.get('/api/me/2fa', { config: { access: 'full' }, schema: { tags, summary: 'Two-factor status' } }, async (request) =>
    deps.twoFactor.status(request.session!.user.id),
  );

  r.post(
    '/api/me/2fa/setup',
    { config: { access: 'enrolment', stepUp: true }, schema: { tags, summary: 'Start enrolment: a new secret, its key URI and QR code' } },
    async (request) => deps.twoFactor.beginSetup(actorOf(request)),
  );

  r.post(
    '/api/me/2fa/enable',
    {
      config: { access: 'enrolment', stepUp: true },
      schema: {
        tags,
        summary: 'Confirm enrolment with a code from the app',
        body: Type.Object({ code: CodeSchema }, { additionalProperties: false }),
        response: { 200: BackupCodesSchema },
      },
    },
    async (request, reply) => {
      const session = request.session!;
      const backupCodes = await deps.twoFactor.enable(actorOf(request), request.body.code, request.ip);
      if (session.kind === 'restricted') {
        // Enrolment done: the restricted session becomes a full one, under a new token.
        await deps.sessions.end(session.tokenHash);
        await startSession(reply, deps.sessions, { userId: session.user.id, kind: 'full', address: request.ip, amr: AMR_TWO_FACTOR });
      } else {
        // The code that confirmed enrolment is this session's second factor (an application that requires 2FA accepts it).
        await deps.sessions.recordFactors(session.tokenHash, AMR_TWO_FACTOR);
      }
      return { backupCodes };
    },
  );

  r.post(
    '/api/me/2fa/disable',
    {
      config: { access: 'full', stepUp: true },
      schema: {
        tags,
        summary: 'Turn 2FA off (needs the password and a step-up; ends the other sessions)',
        body: Type.Object({ password: PasswordSchema }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const session = request.session!;
      if (!(await deps.twoFactor.appEnabled(session.user.id))) throw new AppError('not_enabled');
      await deps.passwords.confirm(
        session.user,
        request.body.password,
        request.ip,
        await deps.devices.counterKey(session.user.id, deviceTokenOf(request, deps.devices)),
      );
      await deps.twoFactor.disable(actorOf(request), actorOf(request), request.ip, 'self', session.tokenHash);
      return reply.code(204).send();
    },
  );

  r.post(
    '/api/me/2fa/backup-codes',
    {
      config: { access: 'full', stepUp: true },
      schema: {
        tags,
        summary: 'Replace the backup codes (needs a code from the app, unless this session stepped up with one)',
        body: Type.Object({ code: Type.Optional(CodeSchema) }, { additionalProperties: false }),
        response: { 200: BackupCodesSchema },
      },
    },
    async (request) => {
      const session = request.session!;
      const user = actorOf(request);
      if (!(await deps.twoFactor.appEnabled(user.id))) throw new AppError('not_enabled');
      const code = request.body.code?.trim() ?? '';
      if (code === '') {
        // The step-up that opened this window spent a code from the app: that code is the proof
        // (issue 36: asking for a second one meant waiting 30 s for it). Spent here, once.
        if (!(await deps.sessions.takeAppCodeStepUp(session)))
          throw new AppError('invalid_code', 'Enter the 6-digit code from the app: this session did not confirm it is you with one.').withStatus(400);
        return { backupCodes: await deps.twoFactor.regenerateBackupCodes(user, request.ip) };
      }
      // Only an app code proves the phone is still at hand; a backup code is refused without counting.
      if (!isAppCodeFormat(code))
        throw new AppError('invalid_code', 'Enter the 6-digit code from the app (a backup code is not accepted here).').withStatus(400);
      const refusal: CodeRefusal = {};
      const verified = await deps.limiter.check(
        { key: await deps.devices.counterKey(user.id, deviceTokenOf(request, deps.devices)), kind: 'code', subject: user, address: request.ip },
        () => deps.twoFactor.verifyAppCode(user, code, request.ip, refusal),
      );
      if (!verified) throw refusedCodeError(refusal).withStatus(400);
      return { backupCodes: await deps.twoFactor.regenerateBackupCodes(user, request.ip) };
    },
  );
}
