// The shape of GET /api/admin/clock: validated on the way out, documented in /docs, and the
// type the web UI's notice reads (one definition for both sides).
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const InstanceViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String({ description: 'host:port of the instance' }),
  self: Type.Boolean({ description: 'the instance that answered this call' }),
  errorSeconds: Nullable(Type.Integer({ description: 'its clock minus the true time, as estimated (positive: ahead); null while no witness tells' })),
  skewed: Type.Boolean({ description: 'off by more than thresholdSeconds' }),
  offsetFromThisSeconds: Nullable(Type.Number({ description: 'its clock minus the answering instance’s; null for the answering instance' })),
});

export const ClockReportSchema = Type.Object({
  thresholdSeconds: Type.Integer({ description: 'an instance further off than this is reported as skewed' }),
  estimate: Type.Object({
    errorSeconds: Nullable(Type.Integer()),
    skewed: Type.Boolean(),
    backedBy: Type.Array(Type.String(), { description: '"database", "phones" or "instance:<id>": the witnesses that agree with the estimate' }),
    phonesBacking: Type.Integer({ description: 'how many accounts’ phones back the estimate' }),
    witnesses: Type.Object({
      databaseOffsetSeconds: Nullable(Type.Number({ description: 'this clock minus the database server’s (PostgreSQL); null with SQLite' })),
      peers: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), offsetSeconds: Type.Number() })),
      phones: Type.Object({
        accounts: Type.Integer({ description: 'accounts with an accepted code in the last 24 h (the newest 15)' }),
        agreeing: Type.Integer(),
        quorum: Type.Boolean({ description: 'at least 5 accounts, most of them agreeing' }),
        serverAheadSeconds: Nullable(Type.Integer()),
      }),
    }),
  }),
  instances: Type.Array(InstanceViewSchema, { description: 'every live instance, the answering one first' }),
});

export type ClockReport = Static<typeof ClockReportSchema>;
export type InstanceView = Static<typeof InstanceViewSchema>;
