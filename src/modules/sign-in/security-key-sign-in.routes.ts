// Signing in with a security key: as the second step of a password sign-in (pending session only),
// or a passkey alone (a discoverable credential with user verification) as a full two-factor
// sign-in. Both count toward the account's code-attempt limit.
import { withSecondStep } from '../../core/amr.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { clearSessionCookies, startSession } from '../sessions/index.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { AppError } from '../../http/errors.js';
import type { RecordAudit } from '../audit/index.js';
import { deviceTokenOf, type RecognisedBrowser, rememberBrowser, type TrustedDevicesService } from '../trusted-devices/index.js';
import type { SessionsService } from '../sessions/index.js';
import type { SignInService } from './sign-in.service.js';
import type { TwoFactorService } from '../two-factor/index.js';
import { presentUser } from '../users/index.js';
import type { UsersService } from '../users/index.js';
import { AuthenticationResponseSchema } from '../webauthn/index.js';
import type { WebauthnService } from '../webauthn/index.js';

export interface KeySignInDeps {
  signIn: SignInService;
  sessions: SessionsService;
  devices: TrustedDevicesService;
  users: UsersService;
  webauthn: WebauthnService;
  twoFactor: TwoFactorService;
  audit: RecordAudit;
  signinRateLimit: number;
}

const SIGN_IN_BODY_LIMIT = 16 * 1024;

export function webauthnSignInRoutes(app: FastifyInstance, deps: KeySignInDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const rateLimit = deps.signinRateLimit > 0 ? { rateLimit: { max: deps.signinRateLimit, timeWindow: 60_000 } } : {};
  const tags = ['session'];
  const body = Type.Object({ response: AuthenticationResponseSchema }, { additionalProperties: false });

  async function finish(request: FastifyRequest, reply: FastifyReply, browser: RecognisedBrowser, amr: readonly string[]): Promise<void> {
    await startSession(reply, deps.sessions, { userId: browser.userId, kind: 'full', address: request.ip, amr });
    await rememberBrowser(request, reply, deps.devices, browser);
  }

  r.get(
    '/api/session/second-factor/methods',
    {
      config: { access: 'pending' },
      schema: {
        tags,
        summary: "The second factors the pending sign-in's account has (the page offers the key first when there is one)",
        response: { 200: Type.Object({ methods: Type.Array(Type.Union([Type.Literal('totp'), Type.Literal('webauthn')])) }) },
      },
    },
    async (request) => ({ methods: await deps.twoFactor.factors(request.session!.user.id) }),
  );

  r.post(
    '/api/session/second-factor/webauthn/options',
    {
      config: { access: 'pending', ...rateLimit },
      schema: { tags, summary: "Second step with a security key: options for navigator.credentials.get() (the account's keys) · 409 no_security_key" },
    },
    async (request) => deps.webauthn.secondFactorOptions(request.session!.user.id),
  );

  r.post(
    '/api/session/second-factor/webauthn/verify',
    {
      config: { access: 'pending', ...rateLimit },
      bodyLimit: SIGN_IN_BODY_LIMIT,
      schema: {
        tags,
        summary:
          "Second step with a security key: the browser's assertion. 200 authenticated (method webauthn) · 401 invalid_security_key (counts toward the code-attempt limit) · 401 no_pending_sign_in · 429 locked",
        body,
      },
    },
    async (request, reply) => {
      const pending = request.session!;
      const response = request.body.response as AuthenticationResponseJSON;
      const browser = await deps.devices.recognise(pending.user.id, deviceTokenOf(request, deps.devices));
      const { amr, warning } = await deps.signIn.securityKeyStep(pending.user, request.ip, browser.counterKey, 'webauthn', response);
      // The pending sign-in is consumed exactly once; a racing twin that lost gets no session.
      if (!(await deps.sessions.end(pending.tokenHash))) {
        clearSessionCookies(reply, deps.sessions);
        return reply.code(401).send({ error: 'no_pending_sign_in', message: 'This sign-in was already completed.' });
      }
      await finish(request, reply, browser, withSecondStep(pending.federated, amr));
      return { status: 'authenticated', user: presentUser(pending.user, true), method: 'webauthn', ...(warning ? { warning } : {}) };
    },
  );

  r.post(
    '/api/session/passkey/options',
    {
      config: { access: 'public', ...rateLimit },
      schema: { tags, summary: 'Sign in with a passkey: options for navigator.credentials.get() (any discoverable credential, user verification required)' },
    },
    async () => deps.webauthn.passkeyOptions(),
  );

  r.post(
    '/api/session/passkey/verify',
    {
      config: { access: 'public', ...rateLimit },
      bodyLimit: SIGN_IN_BODY_LIMIT,
      schema: {
        tags,
        summary:
          "Sign in with a passkey: the browser's assertion. 200 authenticated (method passkey; a full two-factor sign-in, amr hwk user) · 401 invalid_security_key · 403 blocked · 429 locked",
        body,
      },
    },
    async (request, reply) => {
      const response = request.body.response as AuthenticationResponseJSON;
      const userId = await deps.webauthn.claimedUser(response);
      if (userId === null) {
        await deps.audit({ kind: 'webauthn.failed', address: request.ip, details: { reason: 'unknown_key', purpose: 'passkey' } });
        throw new AppError('invalid_security_key');
      }
      const user = await deps.users.require(userId);
      const browser = await deps.devices.recognise(user.id, deviceTokenOf(request, deps.devices));
      const { amr, warning } = await deps.signIn.securityKeyStep(user, request.ip, browser.counterKey, 'passkey', response);
      await finish(request, reply, browser, amr);
      return { status: 'authenticated', user: presentUser(user, true), method: 'passkey', ...(warning ? { warning } : {}) };
    },
  );
}
