// Getting people in: the first-run setup page's API, the invitation link's, the administrators'
// invitations, and self-registration with its approvals. The public routes take their tokens in the body (never in an address a log keeps)
// and are rate-limited per client address like sign-in.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf, type SessionsService, startSession } from '../sessions/index.js';
import { deviceTokenOf, rememberBrowser, type TrustedDevicesService } from '../trusted-devices/index.js';
import type { RequireTwoFactorPolicy } from '../two-factor/index.js';
import { AMR_PASSWORD } from '../../core/amr.js';
import { EmailSchema, NewPasswordSchema, presentUser, RoleSchema, type UserRow } from '../users/index.js';
import type { SetupService } from './setup.service.js';
import type { InvitationsService } from './invitations.service.js';
import type { RegistrationService } from './registration.service.js';

const TokenSchema = Type.String({ minLength: 1, maxLength: 100 });
const LocaleSchema = Type.Union([Type.Literal('en'), Type.Literal('es')]);
const GroupNameSchema = Type.String({ minLength: 1, maxLength: 64 });

export interface OnboardingRouteDeps {
  setup: SetupService;
  invitations: InvitationsService;
  registrations: RegistrationService;
  sessions: SessionsService;
  devices: TrustedDevicesService;
  policy: RequireTwoFactorPolicy;
  signinRateLimit: number;
  smtpConfigured: boolean;
}

export function onboardingRoutes(app: FastifyInstance, deps: OnboardingRouteDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const signInRate = deps.signinRateLimit > 0 ? { rateLimit: { max: deps.signinRateLimit, timeWindow: 60_000 } } : {};

  /** Signs the new account in on this browser (enrolment only, when 2FA is required of it from the start). */
  async function signIn(request: FastifyRequest, reply: FastifyReply, user: UserRow) {
    const decision = await deps.policy.decide(user, false);
    await startSession(reply, deps.sessions, { userId: user.id, kind: decision.restricted ? 'restricted' : 'full', address: request.ip, amr: AMR_PASSWORD });
    await rememberBrowser(request, reply, deps.devices, await deps.devices.recognise(user.id, deviceTokenOf(request, deps.devices)));
    if (decision.restricted) return { status: 'two_factor_setup_required' as const };
    return { status: 'authenticated' as const, user: presentUser(user, false, { twoFactorRequiredBy: decision.requiredBy }) };
  }

  r.post(
    '/api/setup/check',
    {
      config: { access: 'public', ...signInRate },
      schema: {
        tags: ['setup'],
        summary: 'Is this first-run setup link good? (ready, or done once anyone has an account)',
        body: Type.Object({ token: TokenSchema }, { additionalProperties: false }),
      },
    },
    async (request) => deps.setup.status(request.body.token),
  );

  r.post(
    '/api/setup',
    {
      config: { access: 'public', ...signInRate },
      schema: {
        tags: ['setup'],
        summary: 'Create the first administrator with the setup link the server printed, and sign in',
        body: Type.Object({ token: TokenSchema, email: EmailSchema, password: NewPasswordSchema, locale: LocaleSchema }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const user = await deps.setup.complete(request.body, request.ip);
      return reply.code(201).send(await signIn(request, reply, user));
    },
  );

  r.post(
    '/api/invitations/preview',
    {
      config: { access: 'public', ...signInRate },
      schema: {
        tags: ['invitations'],
        summary: 'What an invitation link is for (the email, whether 2FA is required), or why it no longer works',
        body: Type.Object({ token: TokenSchema }, { additionalProperties: false }),
      },
    },
    async (request) => deps.invitations.open(request.body.token),
  );

  r.post(
    '/api/invitations/accept',
    {
      config: { access: 'public', ...signInRate },
      schema: {
        tags: ['invitations'],
        summary: 'Set a password with an invitation link: creates the account and signs in (enrolment first when 2FA is required)',
        body: Type.Object({ token: TokenSchema, password: NewPasswordSchema }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const user = await deps.invitations.accept(request.body, request.ip);
      return reply.code(201).send(await signIn(request, reply, user));
    },
  );

  r.get(
    '/api/registration',
    {
      config: { access: 'public' },
      schema: { tags: ['registration'], summary: 'Whether people may register themselves here (off, open, approval) and at which domains' },
    },
    async () => deps.registrations.policy(),
  );

  r.post(
    '/api/registration',
    {
      config: { access: 'public', ...signInRate },
      schema: {
        tags: ['registration'],
        summary:
          'Ask to register: a link goes to the address (the same answer whether or not it has an account) · 403 registration_closed · 400 registration_domain',
        body: Type.Object({ email: EmailSchema, locale: LocaleSchema }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      await deps.registrations.request(request.body, request.ip);
      return reply.code(202).send({ status: 'sent' as const });
    },
  );

  r.post(
    '/api/registration/preview',
    {
      config: { access: 'public', ...signInRate },
      schema: {
        tags: ['registration'],
        summary: 'What a registration link is for (the email, whether approval follows), or why it no longer works',
        body: Type.Object({ token: TokenSchema }, { additionalProperties: false }),
      },
    },
    async (request) => deps.registrations.open(request.body.token),
  );

  r.post(
    '/api/registration/complete',
    {
      config: { access: 'public', ...signInRate },
      schema: {
        tags: ['registration'],
        summary: 'Choose a password with a registration link: creates the account and signs in, or 202 awaiting_approval',
        body: Type.Object(
          { token: TokenSchema, password: NewPasswordSchema, displayName: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])) },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const { user, awaitingApproval } = await deps.registrations.complete(request.body, request.ip);
      if (awaitingApproval) return reply.code(202).send({ status: 'awaiting_approval' as const });
      return reply.code(201).send(await signIn(request, reply, user));
    },
  );

  const tags = ['administration'];
  const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });

  r.get(
    '/api/admin/invitations',
    { config: { access: 'admin' }, schema: { tags, summary: 'Invitations waiting, and those ended in the last 30 days (newest first)' } },
    async () => ({ invitations: await deps.invitations.list(), mailed: deps.smtpConfigured }),
  );

  r.post(
    '/api/admin/invitations',
    {
      // A step-up, always: an invitation can make an administrator.
      config: { access: 'admin', stepUp: true },
      schema: {
        tags,
        summary: 'Invite one person or a list (one per line: email, or CSV email,name,groups,role); nobody when a line is wrong',
        body: Type.Object(
          {
            list: Type.String({ minLength: 1, maxLength: 100_000 }),
            groups: Type.Optional(Type.Array(GroupNameSchema, { maxItems: 50 })),
            role: Type.Optional(RoleSchema),
            requireTwoFactor: Type.Optional(Type.Boolean()),
            locale: Type.Optional(LocaleSchema),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const { list, groups = [], role = 'user', requireTwoFactor = false, locale = 'en' } = request.body;
      const invitations = await deps.invitations.invite(actorOf(request)!, list, { groups, role, requireTwoFactor, locale }, request.ip);
      return reply.code(201).send({ invitations, mailed: deps.smtpConfigured });
    },
  );

  r.post(
    '/api/admin/invitations/:id/resend',
    { config: { access: 'admin', stepUp: true }, schema: { tags, summary: 'Send a fresh link (the old one stops working) valid from now', params: IdParams } },
    async (request) => ({ invitation: await deps.invitations.resend(actorOf(request)!, request.params.id, request.ip), mailed: deps.smtpConfigured }),
  );

  r.post(
    '/api/admin/users/:id/approve',
    {
      config: { access: 'admin', stepUp: true },
      schema: {
        tags,
        summary: 'Let a self-registered account that waits for approval sign in (it is told by mail) · 404 · 409 not_awaiting_approval',
        params: IdParams,
      },
    },
    async (request, reply) => {
      await deps.registrations.approve(actorOf(request), request.params.id, request.ip);
      return reply.code(204).send();
    },
  );

  r.delete(
    '/api/admin/invitations/:id',
    { config: { access: 'admin' }, schema: { tags, summary: 'Withdraw an invitation: its link stops working', params: IdParams } },
    async (request, reply) => {
      await deps.invitations.revoke(actorOf(request)!, request.params.id, request.ip);
      return reply.code(204).send();
    },
  );
}
