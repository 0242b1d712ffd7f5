// Prometheus metrics, one registry per app instance (tests build several apps in one process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RequestTally } from '../../http/request-log.js';

export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  /** Where the request log counts answers; handed to httpRequests at each scrape. */
  readonly requestTally: RequestTally;
  readonly signIns: Counter<'outcome'>;
  readonly secondFactor: Counter<'outcome'>;
  readonly hashSeconds: Histogram;
  readonly hashQueueWaiting: Gauge;
  readonly clockErrorSeconds: Gauge;
  readonly mailOutbox: Gauge<'status'>;
  readonly mailAttempts: Counter<'outcome'>;
  readonly dbPool: Gauge<'state'>;
}

/** Outbox messages by status, read from the database at each scrape (so every instance reports the whole outbox). */
export type MailCounts = () => Promise<Record<'queued' | 'sent' | 'failed', number>>;

/** PostgreSQL's pool: connections open, idle, and requests waiting for one. */
export type PoolCounts = () => { total: number; idle: number; waiting: number };

export function createMetrics(
  options: {
    defaultMetrics?: boolean;
    hashQueueWaiting?: () => number;
    mailCounts?: MailCounts;
    poolCounts?: PoolCounts;
    /** With a directory (GATEHOUSE_LDAP_URL): 1 when its last operation got an answer, 0 when not, null before any. */
    directoryUp?: () => number | null;
  } = {},
): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const directoryUp = options.directoryUp;
  if (directoryUp) {
    new Gauge({
      name: 'gatehouse_directory_up',
      help: 'Whether the directory (LDAP / Active Directory) answered its last operation on this instance: 1 yes, 0 no.',
      registers: [registry],
      collect() {
        const up = directoryUp();
        if (up !== null) this.set(up);
      },
    });
  }
  const requestTally = new RequestTally();
  return {
    registry,
    requestTally,
    httpRequests: new Counter({
      name: 'gatehouse_http_requests_total',
      help: 'HTTP requests answered, by route and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
      collect() {
        requestTally.drainInto(this);
      },
    }),
    signIns: new Counter({
      name: 'gatehouse_sign_ins_total',
      help: 'Password sign-in outcomes.',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    secondFactor: new Counter({
      name: 'gatehouse_second_factor_total',
      help: 'Second-step outcomes.',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    hashSeconds: new Histogram({
      name: 'gatehouse_password_hash_seconds',
      help: 'Time of one Argon2id hash or verification, queue wait excluded.',
      buckets: [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28],
      registers: [registry],
    }),
    hashQueueWaiting: new Gauge({
      name: 'gatehouse_password_hash_queue_waiting',
      help: 'Password checks waiting for a hashing slot.',
      registers: [registry],
      collect() {
        if (options.hashQueueWaiting) this.set(options.hashQueueWaiting());
      },
    }),
    clockErrorSeconds: new Gauge({
      name: 'gatehouse_clock_error_seconds',
      help: "This instance's estimated clock error (positive: ahead), from the database's, the other instances' and the phones' clocks; 0 until a witness tells.",
      registers: [registry],
    }),
    mailOutbox: new Gauge({
      name: 'gatehouse_mail_outbox_messages',
      help: 'Mail in the outbox by status: queued (waiting or retrying), sent, failed (gave up).',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        if (!options.mailCounts) return;
        const counts = await options.mailCounts().catch(() => null);
        if (counts) for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    }),
    dbPool: new Gauge({
      name: 'gatehouse_db_pool_connections',
      help: 'PostgreSQL connections of this instance: total open, idle, and requests waiting for one (past 50 waiting, a request gets 503 at once).',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        if (!options.poolCounts) return;
        const { total, idle, waiting } = options.poolCounts();
        this.set({ state: 'total' }, total);
        this.set({ state: 'idle' }, idle);
        this.set({ state: 'waiting' }, waiting);
      },
    }),
    mailAttempts: new Counter({
      name: 'gatehouse_mail_delivery_attempts_total',
      help: 'Delivery attempts by this instance: sent, retry (will be tried again), failed (gave up).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}
