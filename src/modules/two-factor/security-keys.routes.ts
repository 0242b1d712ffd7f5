// Client area → Password and account security → security keys and passkeys: list, register
// (options, then the browser's answer), rename, remove.
//
// Registration and removal change a factor, so they carry `stepUp: true`: access control
// (sessions/access.ts) then asks for a recent re-authentication.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { actorOf } from '../sessions/index.js';
import { countUnusedBackupCodes } from './two-factor.repository.js';
import { KeyNameSchema, RegistrationResponseSchema, SecurityKeySchema } from '../webauthn/index.js';
import type { WebauthnService } from '../webauthn/index.js';
import type { TwoFactorService } from './two-factor.service.js';

export function webauthnRoutes(app: FastifyInstance, deps: { db: Kysely<DB>; webauthn: WebauthnService; twoFactor: TwoFactorService }): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['account'];
  const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 1400 }) });

  r.get(
    '/api/me/webauthn',
    {
      config: { access: 'full' },
      schema: {
        tags,
        summary: 'Security keys and passkeys of the account, and the backup codes left',
        response: { 200: Type.Object({ keys: Type.Array(SecurityKeySchema), backupCodesLeft: Type.Integer() }) },
      },
    },
    async (request) => {
      const userId = request.session!.user.id;
      const [keys, backupCodesLeft] = await Promise.all([deps.webauthn.list(userId), countUnusedBackupCodes(deps.db, userId)]);
      return { keys, backupCodesLeft };
    },
  );

  r.post(
    '/api/me/webauthn/register/options',
    {
      config: { access: 'full', stepUp: true },
      schema: {
        tags,
        summary:
          'Add a security key: the options for navigator.credentials.create() (attestation none, user verification and resident key preferred; the challenge is single-use and lasts 2 minutes)',
      },
    },
    async (request) => deps.webauthn.registrationOptions(actorOf(request)),
  );

  r.post(
    '/api/me/webauthn/register',
    {
      config: { access: 'full', stepUp: true },
      schema: {
        tags,
        summary:
          "Add a security key: the browser's answer and a name. 201 with the key, and the backup codes (shown once) when it is the account's first factor · 400 invalid_security_key",
        body: Type.Object({ name: KeyNameSchema, response: RegistrationResponseSchema }, { additionalProperties: false }),
        response: { 201: Type.Object({ key: SecurityKeySchema, backupCodes: Type.Optional(Type.Array(Type.String())) }) },
      },
    },
    async (request, reply) => {
      const result = await deps.webauthn.register(actorOf(request), request.body.response as RegistrationResponseJSON, request.body.name.trim(), request.ip);
      return reply.code(201).send(result.backupCodes ? { key: result.key, backupCodes: result.backupCodes } : { key: result.key });
    },
  );

  r.patch(
    '/api/me/webauthn/:id',
    {
      config: { access: 'full' },
      schema: {
        tags,
        summary: 'Rename a security key · 404 not_found',
        params: IdParams,
        body: Type.Object({ name: KeyNameSchema }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      await deps.webauthn.rename(actorOf(request), request.params.id, request.body.name.trim(), request.ip);
      return reply.code(204).send();
    },
  );

  r.delete(
    '/api/me/webauthn/:id',
    {
      config: { access: 'full', stepUp: true },
      schema: {
        tags,
        summary:
          'Remove a security key (the last factor takes the backup codes with it: 2FA is then off, the other sessions end and the owner is mailed) · 404 not_found',
        params: IdParams,
      },
    },
    async (request, reply) => {
      const me = actorOf(request);
      await deps.twoFactor.removeSecurityKey(
        me,
        (whenLast) => deps.webauthn.remove(me, request.params.id, request.ip, whenLast),
        request.ip,
        request.session!.tokenHash,
      );
      return reply.code(204).send();
    },
  );
}
