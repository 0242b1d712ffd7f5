// The mail module's wiring: the outbox queue, where messages go (SMTP or the outbox folder), the
// instance's worker, and the lock notice (queued with the lock's audit event, in one transaction).
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { insertAuditEvent, type RecordAudit } from '../audit/index.js';
import type { Metrics } from '../ops/index.js';
import { MailQueue, type Notify } from './mail-queue.js';
import { MailWorker } from './mail-worker.js';
import { folderTransport, smtpTransport } from './transport.js';

export interface Mail {
  readonly queue: MailQueue;
  readonly worker: MailWorker;
  readonly notify: Notify;
  /** Whether mail leaves the machine; otherwise it is written to `outboxDir`. */
  readonly smtpConfigured: boolean;
  readonly outboxDir: string;
  /** "SMTP at smtp://host:port" or "the folder …": for the start-up log. */
  readonly description: string;
}

/** Where mail is written without SMTP: `outbox/` beside the SQLite file (data/outbox/ by default), else ./data/outbox. */
export function defaultOutboxDir(sqlitePath: string | null): string {
  return sqlitePath ? path.join(path.dirname(sqlitePath), 'outbox') : path.resolve('data', 'outbox');
}

export function createMail(deps: {
  db: Kysely<DB>;
  smtpUrl: string | null;
  mailFrom: string;
  publicUrl: URL;
  secretBox: Buffer;
  clock: () => number;
  metrics: Metrics;
  outboxDir: string;
  pollMs?: number;
}): Mail {
  const queue = new MailQueue({ secretBox: deps.secretBox, publicUrl: deps.publicUrl, clock: deps.clock });
  const transport = deps.smtpUrl ? smtpTransport(deps.smtpUrl) : folderTransport(deps.outboxDir);
  const worker = new MailWorker({
    db: deps.db,
    queue,
    transport,
    from: deps.mailFrom,
    clock: deps.clock,
    pollMs: deps.pollMs,
    onAttempt: (outcome) => deps.metrics.mailAttempts.inc({ outcome }),
  });
  return { queue, worker, notify: queue.notify, smtpConfigured: deps.smtpUrl !== null, outboxDir: deps.outboxDir, description: transport.description };
}

/**
 * The attempt limiter audits each lock once (`account.locked`, whichever caller made it): the
 * owner's notice is queued with that event, in one transaction ("someone knows your password").
 */
export function withLockNotices(db: Kysely<DB>, clock: () => number, notify: Notify): RecordAudit {
  return async (event) => {
    if (event.kind !== 'account.locked' || !event.subject) return insertAuditEvent(db, event, clock());
    const subject = event.subject;
    const until = typeof event.details?.lockedUntil === 'string' ? Date.parse(event.details.lockedUntil) : null;
    await db.transaction().execute(async (trx) => {
      await insertAuditEvent(trx, event, clock());
      await notify(trx, subject.id, { kind: 'account_locked', until });
    });
  };
}
