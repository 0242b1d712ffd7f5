// Clock health for administrators (GET /api/admin/clock), and the wiring of the service into
// the app: one instance per app, stopped (its heartbeat row removed) when the app closes.
import os from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { DB } from '../../db/schema.js';
import type { DialectName } from '../../db/database.js';
import type { Metrics } from '../ops/index.js';
import { SKEW_THRESHOLD_SECONDS } from './clock-estimate.js';
import { ClockReportSchema, type ClockReport } from './clock-report.js';
import { type AcceptedCodes, ClockHealthService } from './clock-health.service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** main.ts starts its heartbeat; tests call refresh() themselves. */
    clockHealth: ClockHealthService;
  }
}

export interface ClockHealthAppDeps {
  db: Kysely<DB>;
  dialect: DialectName;
  clock: () => number;
  metrics: Pick<Metrics, 'clockErrorSeconds'>;
  config: { port: number };
  acceptedCodes: AcceptedCodes;
}

export function registerClockHealth(app: FastifyInstance, s: ClockHealthAppDeps): ClockHealthService {
  const service = new ClockHealthService({
    db: s.db,
    dialect: s.dialect,
    clock: s.clock,
    gauge: s.metrics.clockErrorSeconds,
    log: app.log,
    name: `${os.hostname()}:${s.config.port}`,
    acceptedCodes: s.acceptedCodes,
  });
  app.decorate('clockHealth', service);
  app.addHook('onClose', async () => service.stop());

  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/api/admin/clock',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['administration'],
        summary: "Server clock health: this instance's estimated clock error, its witnesses, and every live instance",
        description:
          'Each instance estimates its own clock error from the database server’s clock (PostgreSQL), the other instances’ clocks and the phones (the offsets of recent accepted codes, once 5 accounts agree). The web UI shows a notice when an instance is off by more than thresholdSeconds.',
        querystring: Type.Object({}, { additionalProperties: false }),
        response: { 200: ClockReportSchema },
      },
    },
    async (): Promise<ClockReport> => {
      const { estimate, instances } = await service.instances();
      return { thresholdSeconds: SKEW_THRESHOLD_SECONDS, estimate, instances };
    },
  );
  return service;
}
