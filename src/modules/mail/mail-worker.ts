// One worker per instance sends the outbox: it claims due messages with a lease (mail.repository.ts
// says why no two instances hold the same one), sends each, marks it sent right after the server
// accepts it, and on failure schedules a retry with exponential backoff. A crash or an SMTP outage
// therefore delays mail and never drops it. A message the server accepted while the database was
// away is remembered and marked at the start of each later round, before anything is claimed, so
// a database outage shorter than the lease sends nothing twice; a message is sent twice only if the
// process dies between the server's accept and the mark (the stable Message-ID lets a reader tell).
// Time comes only from the injected clock; the poll timer is unref'd and stopped with the app.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { OutboxWorker, backoffDelayMs } from '../../db/outbox-worker.js';
import * as repo from './mail.repository.js';
import type { MailQueue } from './mail-queue.js';
import type { MailTransport } from './transport.js';

/** Longer than any one send can take (transport timeouts are 30 s), so a live sender keeps its lease. */
export const LEASE_MS = 5 * 60_000;
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 60 * 60_000;
/** 30 s, 1, 2, 4, … minutes, then hourly: about a day of tries before a message counts as failed. */
export const MAX_ATTEMPTS = 30;
const BATCH = 20;

export function retryDelayMs(failedAttempts: number): number {
  return backoffDelayMs(failedAttempts, FIRST_RETRY_MS, MAX_RETRY_MS);
}

export interface MailWorkerDeps {
  db: Kysely<DB>;
  queue: MailQueue;
  transport: MailTransport;
  from: string;
  clock: () => number;
  onAttempt?: (outcome: 'sent' | 'retry' | 'failed') => void;
  pollMs?: number;
}

export class MailWorker extends OutboxWorker {
  readonly instance = randomUUID();
  /** Accepted by the mail server, not yet marked sent (the database did not answer): id → when. */
  private readonly unmarked = new Map<string, number>();

  constructor(private readonly deps: MailWorkerDeps) {
    super(deps.pollMs ?? 1000, 'mail worker round failed');
  }

  /** Stops polling, waits for a round in progress, and closes the transport. */
  override async stop(): Promise<void> {
    await super.stop();
    this.deps.transport.close();
  }

  /** One round: marks what was accepted while the database was away, then claims what is due and sends it. */
  protected async round(): Promise<number> {
    const { db, clock } = this.deps;
    // Still under this instance's lease: nobody else sends them meanwhile.
    for (const [id, sentAt] of this.unmarked) {
      await repo.markSent(db, id, this.instance, sentAt);
      this.unmarked.delete(id);
    }
    const claimed = await repo.claimDueMessages(db, { instance: this.instance, now: clock(), leaseMs: LEASE_MS, limit: BATCH });
    let sent = 0;
    for (const row of claimed) {
      if (await this.deliver(row)) sent += 1;
    }
    return sent;
  }

  private async deliver(row: repo.OutboxRow): Promise<boolean> {
    const { db, queue, transport, clock } = this.deps;
    try {
      const rendered = queue.open(row.id, row.body);
      await transport.send({ ...rendered, id: row.id, from: this.deps.from, to: row.recipient, domain: new URL(queue.link('/')).hostname });
    } catch (error) {
      const attempts = row.attempts + 1;
      const nextAttemptAt = attempts >= MAX_ATTEMPTS ? null : clock() + retryDelayMs(attempts);
      await repo.markAttemptFailed(db, { id: row.id, instance: this.instance, error: describe(error), nextAttemptAt });
      this.deps.onAttempt?.(nextAttemptAt === null ? 'failed' : 'retry');
      this.log(`mail ${row.id} (${row.kind}) not sent, attempt ${attempts}`, error);
      return false;
    }
    const sentAt = clock();
    this.deps.onAttempt?.('sent');
    try {
      await repo.markSent(db, row.id, this.instance, sentAt);
    } catch (error) {
      this.unmarked.set(row.id, sentAt);
      this.log(`mail ${row.id} (${row.kind}) sent; marking it waits for the database`, error);
    }
    return true;
  }
}

/** The error without the message content: no secret reaches the database or the log. */
function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: string; responseCode?: number }).code ?? '';
    const response = (error as { responseCode?: number }).responseCode;
    return [code, response, error.message].filter((p) => p !== undefined && p !== '').join(' ');
  }
  return String(error);
}
