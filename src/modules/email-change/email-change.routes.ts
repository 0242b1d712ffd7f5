// Email change: the security page's request (behind a step-up), and the two links' pages, which
// take their tokens in the body (never in an address a log keeps) and are rate-limited per client
// address like sign-in. The pages call these on a button press, not on load: a mail scanner that
// fetches the link confirms nothing.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf } from '../sessions/index.js';
import { EmailSchema } from '../users/index.js';
import type { EmailChangeService } from './email-change.service.js';

const TokenSchema = Type.String({ minLength: 1, maxLength: 100 });
const EmailAnswer = Type.Object({ email: Type.String() });

export interface EmailChangeRouteDeps {
  changes: EmailChangeService;
  signinRateLimit: number;
}

export function emailChangeRoutes(app: FastifyInstance, deps: EmailChangeRouteDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['account'];
  const signInRate = deps.signinRateLimit > 0 ? { rateLimit: { max: deps.signinRateLimit, timeWindow: 60_000 } } : {};

  r.get(
    '/api/me/email',
    {
      config: { access: 'full' },
      schema: {
        tags,
        summary: 'Your email, and whether the directory manages it (then it is changed there)',
        response: { 200: Type.Object({ email: Type.String(), managedByDirectory: Type.Boolean() }) },
      },
    },
    async (request) => deps.changes.status(request.session!.user.id),
  );

  r.post(
    '/api/me/email',
    {
      config: { access: 'full', stepUp: true },
      schema: {
        tags,
        summary: 'Change your email: a link to the new address confirms it (the same answer whether or not another account has it)',
        body: Type.Object({ email: EmailSchema }, { additionalProperties: false }),
        response: { 202: Type.Object({ sentTo: Type.String() }) },
      },
    },
    async (request, reply) => reply.code(202).send(await deps.changes.request(actorOf(request), request.body.email, request.ip)),
  );

  r.post(
    '/api/email-change/confirm',
    {
      config: { access: 'public', ...signInRate },
      schema: {
        tags,
        summary: 'Confirm an email change with the link mailed to the new address; the old one is told, with a link to undo it',
        body: Type.Object({ token: TokenSchema }, { additionalProperties: false }),
        response: { 200: EmailAnswer },
      },
    },
    async (request) => deps.changes.confirm(request.body.token, request.ip),
  );

  r.post(
    '/api/email-change/undo',
    {
      config: { access: 'public', ...signInRate },
      schema: {
        tags,
        summary: 'Undo an email change with the link mailed to the old address (72 hours): ends every session of the account',
        body: Type.Object({ token: TokenSchema }, { additionalProperties: false }),
        response: { 200: EmailAnswer },
      },
    },
    async (request) => deps.changes.undo(request.body.token, request.ip),
  );
}
