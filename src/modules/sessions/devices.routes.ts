// "Your devices": the account's signed-in sessions, each one's sign-out, and "sign out everywhere
// else". Sessions are rows in the database, so a deleted one stops working on every instance at once.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { clearSessionCookies } from './session-cookie.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '../../http/errors.js';
import type { DeviceSessionList } from '../../shared/api-types.js';
import type { RecordAudit } from '../audit/index.js';
import { actorOf } from './access.js';
import type { SessionsService } from './sessions.service.js';
import { describeUserAgent } from './user-agent.js';

const iso = (ms: number) => new Date(ms).toISOString();

export function deviceRoutes(app: FastifyInstance, deps: { sessions: SessionsService; audit: RecordAudit }): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['account'];

  r.get(
    '/api/me/sessions',
    { config: { access: 'full' }, schema: { tags, summary: 'Your devices: the signed-in sessions of this account' } },
    async (request): Promise<DeviceSessionList> => {
      const current = request.session!;
      const rows = await deps.sessions.listFor(current.user.id);
      return {
        sessions: rows.map((row) => ({
          id: row.public_id,
          ...describeUserAgent(row.user_agent),
          address: row.address,
          signedInAt: iso(row.created_at),
          lastActiveAt: iso(row.last_seen_at),
          current: row.token_hash === current.tokenHash,
        })),
      };
    },
  );

  r.delete(
    '/api/me/sessions/:id',
    {
      // Behind step-up, like every action that could turn a stolen cookie against its owner: a thief
      // holding only the cookie must not sign the owner's other browsers out and keep itself.
      config: { access: 'full', stepUp: true },
      schema: { tags, summary: 'Sign out one of your sessions', params: Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) }) },
    },
    async (request, reply) => {
      const session = request.session!;
      if (!(await deps.sessions.endByPublicId(session.user.id, request.params.id))) throw new AppError('not_found', 'No such session.');
      const ref = actorOf(request);
      await deps.audit({ kind: 'session.ended', actor: ref, subject: ref, address: request.ip, details: { current: request.params.id === session.id } });
      if (request.params.id === session.id) clearSessionCookies(reply, deps.sessions);
      return reply.code(204).send();
    },
  );

  r.post(
    '/api/me/sessions/sign-out-others',
    { config: { access: 'full', stepUp: true }, schema: { tags, summary: 'Sign out everywhere else (needs a step-up)' } },
    async (request, reply) => {
      const session = request.session!;
      await deps.sessions.endAllFor(session.user.id, session.tokenHash);
      const ref = actorOf(request);
      await deps.audit({ kind: 'sessions.ended', actor: ref, subject: ref, address: request.ip, details: { except: 'current' } });
      return reply.code(204).send();
    },
  );
}
