// Operations: health, metrics. Public, read-only.
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { pingDatabase } from '../../db/database.js';
import type { Metrics } from './metrics.js';

/** A health check must answer quickly even when the database hangs. */
const HEALTH_TIMEOUT_MS = 2000;

/** What /healthz reads of clock health (clock-health/ keeps the estimate). */
export interface ClockReading {
  current(): { skewed: boolean; errorSeconds: number | null } | null;
}

export function opsRoutes(app: FastifyInstance, deps: { db: Kysely<DB>; metrics: Metrics; clockHealth: ClockReading }): void {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Liveness and database reachability; clock: "skewed" (with clockErrorSeconds) when this instance\'s clock seems off by more than 15 s',
      },
    },
    async (_request, reply) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          pingDatabase(deps.db),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('timeout')), HEALTH_TIMEOUT_MS);
          }),
        ]);
        // Still 200 when the clock is off: the instance serves; the clock is for the operator to fix.
        const clock = deps.clockHealth.current();
        return clock?.skewed ? { status: 'ok', clock: 'skewed', clockErrorSeconds: clock.errorSeconds } : { status: 'ok', clock: 'ok' };
      } catch {
        return reply.code(503).send({ status: 'unavailable', error: 'unavailable', message: 'The database does not answer.' });
      } finally {
        clearTimeout(timer);
      }
    },
  );

  app.get(
    '/metrics',
    { config: { access: 'public' }, schema: { tags: ['operations'], summary: 'Prometheus metrics', hide: false } },
    async (_request, reply) => {
      void reply.type(deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    },
  );
}
