// "Password and account security": the signed-in user's own password and 2FA.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Services } from '../../services.js';
import { actorOf } from '../../http/access.js';
import { AppError } from '../../http/errors.js';
import { BackupCodesSchema, CodeSchema, PasswordSchema } from '../../http/schemas.js';
import { startSession } from '../../http/session-cookie.js';
import { accountCounterKey } from '../lockout/attempt-limiter.js';
import { checkWithinLimit } from '../lockout/attempt-check.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import type { TwoFactorService } from '../two-factor/two-factor.service.js';
import { changePassword, confirmPassword } from './password.service.js';

const SixDigitCode = Type.String({ pattern: '^\\s*\\d{6}\\s*$', maxLength: 16 });

export function accountRoutes(app: FastifyInstance, s: Services, deps: { twoFactor: TwoFactorService; sessions: SessionsService }): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['account'];

  r.post(
    '/api/me/password',
    {
      config: { access: 'full' },
      schema: {
        tags,
        summary: 'Change the password (ends the other sessions)',
        body: Type.Object({ currentPassword: PasswordSchema, newPassword: Type.String({ maxLength: 256 }) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const session = request.session!;
      await changePassword(s, session.user, request.body, request.ip);
      await deps.sessions.endAllFor(session.user.id, session.tokenHash);
      return reply.code(204).send();
    },
  );

  r.get('/api/me/2fa', { config: { access: 'full' }, schema: { tags, summary: 'Two-factor status' } }, async (request) =>
    deps.twoFactor.status(request.session!.user.id),
  );

  r.post(
    '/api/me/2fa/setup',
    { config: { access: 'enrolment' }, schema: { tags, summary: 'Start enrolment: a new secret, its key URI and QR code' } },
    async (request) => deps.twoFactor.beginSetup(actorOf(request)),
  );

  r.post(
    '/api/me/2fa/enable',
    {
      config: { access: 'enrolment' },
      schema: { tags, summary: 'Confirm enrolment with a code from the app', body: Type.Object({ code: CodeSchema }, { additionalProperties: false }), response: { 200: BackupCodesSchema } },
    },
    async (request, reply) => {
      const session = request.session!;
      const code = request.body.code.trim();
      if (!/^\d{6}$/.test(code)) throw new AppError('invalid_code', 'Enter the 6-digit code from the app.').withStatus(400);
      const backupCodes = await deps.twoFactor.enable(actorOf(request), code, request.ip);
      if (session.kind === 'restricted') {
        // Enrolment done: the restricted session becomes a full one, under a new token.
        await deps.sessions.end(session.tokenHash);
        await startSession(reply, s.config, deps.sessions, { userId: session.user.id, kind: 'full', address: request.ip });
      }
      return { backupCodes };
    },
  );

  r.post(
    '/api/me/2fa/disable',
    { config: { access: 'full' }, schema: { tags, summary: 'Turn 2FA off (needs the password)', body: Type.Object({ password: PasswordSchema }, { additionalProperties: false }) } },
    async (request, reply) => {
      const session = request.session!;
      if (!(await deps.twoFactor.isEnabled(session.user.id))) throw new AppError('not_enabled');
      await confirmPassword(s, session.user, request.body.password, request.ip);
      await deps.twoFactor.disable(actorOf(request), actorOf(request), request.ip, 'self');
      return reply.code(204).send();
    },
  );

  r.post(
    '/api/me/2fa/backup-codes',
    {
      config: { access: 'full' },
      schema: { tags, summary: 'Replace the backup codes (needs a code from the app)', body: Type.Object({ code: CodeSchema }, { additionalProperties: false }), response: { 200: BackupCodesSchema } },
    },
    async (request) => {
      const user = actorOf(request);
      if (!(await deps.twoFactor.isEnabled(user.id))) throw new AppError('not_enabled');
      const code = request.body.code.trim();
      // Only an app code proves the phone is still at hand; a backup code is refused without counting.
      if (!/^\d{6}$/.test(code)) throw new AppError('invalid_code', 'Enter the 6-digit code from the app (a backup code is not accepted here).').withStatus(400);
      const verified = await checkWithinLimit(s, { key: accountCounterKey(user.id), kind: 'code', subject: user, address: request.ip }, () =>
        deps.twoFactor.verifyAppCode(user, code, request.ip),
      );
      if (!verified) throw new AppError('invalid_code').withStatus(400);
      return { backupCodes: await deps.twoFactor.regenerateBackupCodes(user, request.ip) };
    },
  );
}
