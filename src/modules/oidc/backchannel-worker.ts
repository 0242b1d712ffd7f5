// One worker per instance delivers back-channel logouts (OIDC Back-Channel Logout 1.0 §2.5): each
// round it marks the rows of ended Gatehouse sessions due (backchannel.repository.ts), claims due
// rows with a lease, and POSTs each application its logout token. A 200 (or 204) deletes the row;
// anything else (an error status, a timeout, a refused connection) schedules a retry with
// exponential backoff on the injected clock, until the last attempt marks it failed. A token is sent
// twice only if the process dies between the application's answer and the delete; the jti is the
// row's id, so the application can tell (§2.6 lets it refuse a jti it has seen).
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { OutboxWorker, backoffDelayMs } from '../../db/outbox-worker.js';
import * as repo from './backchannel.repository.js';

/** Longer than one delivery may take (DELIVERY_TIMEOUT_MS), so a live sender keeps its lease. */
export const LEASE_MS = 60_000;
/** An application that does not answer within this is tried again later. */
export const DELIVERY_TIMEOUT_MS = 10_000;
const FIRST_RETRY_MS = 5_000;
const MAX_RETRY_MS = 60 * 60_000;
/** 5 s, 10 s, 20 s, … then hourly: about a day of tries before a logout counts as failed. */
export const MAX_ATTEMPTS = 30;
const BATCH = 20;

export function backchannelRetryDelayMs(failedAttempts: number): number {
  return backoffDelayMs(failedAttempts, FIRST_RETRY_MS, MAX_RETRY_MS);
}

/** Where a logout goes and what it says: null when the application is gone or no longer asks for logouts. */
export type LogoutDelivery = { uri: string; logoutToken: string } | null;

export interface BackchannelWorkerDeps {
  db: Kysely<DB>;
  clock: () => number;
  /** GATEHOUSE_SESSION_IDLE_SECONDS in ms: a session idle longer has ended. */
  sessionIdleMs: number;
  /** Signs the logout token for a row (the provider's keys). */
  prepare: (row: repo.BackchannelRow) => Promise<LogoutDelivery>;
  pollMs?: number;
  /** Every attempt's outcome (for metrics and tests; never the token). */
  onAttempt?: (outcome: 'sent' | 'retry' | 'failed', row: repo.BackchannelRow, error?: unknown) => void;
}

export class BackchannelWorker extends OutboxWorker {
  readonly instance = randomUUID();

  constructor(private readonly deps: BackchannelWorkerDeps) {
    super(deps.pollMs ?? 1000, 'back-channel logout round failed');
  }

  /** One round: what ended becomes due, what is due is sent. */
  protected async round(): Promise<number> {
    const { db, clock } = this.deps;
    await repo.markEndedSessionsDue(db, clock(), this.deps.sessionIdleMs);
    const claimed = await repo.claimDueLogouts(db, { instance: this.instance, now: clock(), leaseMs: LEASE_MS, limit: BATCH });
    let sent = 0;
    for (const row of claimed) {
      if (await this.deliver(row)) sent += 1;
    }
    return sent;
  }

  private async deliver(row: repo.BackchannelRow): Promise<boolean> {
    const { db, clock } = this.deps;
    try {
      const delivery = await this.deps.prepare(row);
      if (delivery) {
        const response = await fetch(delivery.uri, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ logout_token: delivery.logoutToken }),
          signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        });
        await response.body?.cancel();
        // §2.8: 200 OK is success (204 is what many frameworks answer for it, and harmless).
        if (response.status !== 200 && response.status !== 204) throw new Error(`the application answered ${response.status}`);
      }
    } catch (error) {
      const attempts = row.attempts + 1;
      const nextAttemptAt = attempts >= MAX_ATTEMPTS ? null : clock() + backchannelRetryDelayMs(attempts);
      await repo.markLogoutFailed(db, { id: row.id, instance: this.instance, error: error instanceof Error ? error.message : String(error), nextAttemptAt });
      this.deps.onAttempt?.(nextAttemptAt === null ? 'failed' : 'retry', row, error);
      this.log(`back-channel logout to application ${row.client_id} not delivered, attempt ${attempts}${nextAttemptAt === null ? ' (the last)' : ''}`, error);
      return false;
    }
    await repo.deleteDelivered(db, row.id, this.instance);
    this.deps.onAttempt?.('sent', row);
    return true;
  }
}
