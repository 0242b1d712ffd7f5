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

/** What /healthz reads of the directory (directory/ keeps it); null without GATEHOUSE_LDAP_URL. */
export interface DirectoryReading {
  currentHealth(): Promise<{ status: 'ok' | 'unavailable' }>;
}

/** The directory's state, 'unavailable' when finding out takes longer than a health check may. */
async function directoryStatus(directory: DirectoryReading): Promise<'ok' | 'unavailable'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      directory.currentHealth().then((h) => h.status),
      new Promise<'unavailable'>((resolve) => {
        timer = setTimeout(() => resolve('unavailable'), HEALTH_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function opsRoutes(
  app: FastifyInstance,
  deps: { db: Kysely<DB>; metrics: Metrics; clockHealth: ClockReading; directory: DirectoryReading | null },
): void {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: {
        tags: ['operations'],
        summary:
          'Liveness and database reachability; clock: "skewed" (with clockErrorSeconds) when this instance\'s clock seems off by more than 15 s; directory: "ok" or "unavailable" with GATEHOUSE_LDAP_URL',
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
        // Still 200 when the directory is down: local accounts sign in (the break-glass way in).
        const directory = deps.directory ? { directory: await directoryStatus(deps.directory) } : {};
        return clock?.skewed
          ? { status: 'ok', clock: 'skewed', clockErrorSeconds: clock.errorSeconds, ...directory }
          : { status: 'ok', clock: 'ok', ...directory };
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
