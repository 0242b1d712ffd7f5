// Several PostgreSQL hosts in one address, as libpq takes them:
//
//   postgres://user:pass@db1:5432,db2:5432/gatehouse?target_session_attrs=read-write
//
// node-postgres connects to one host only (brianc/node-postgres#1470), so this file does what libpq
// does for it: it keeps a pool on one host and, when that host stops answering (or, with
// `read-write` / `primary`, turns out to be a standby), tries the hosts in order and moves the pool
// to the first that is acceptable. After a failover (the primary killed, a standby promoted) the
// next request finds the new primary by itself; requests in flight at the moment of the failure get
// the documented 503 `unavailable`, never an answer from a read-only standby.
import pg from 'pg';
import { chargeConnectionWait } from './connection-wait-budget.js';

export type TargetSessionAttrs = 'any' | 'read-write' | 'primary';

export interface PostgresHosts {
  /** One single-host address per host, in the order given, each with the same user, database and options. */
  readonly urls: readonly string[];
  readonly target: TargetSessionAttrs;
}

const TARGETS: readonly TargetSessionAttrs[] = ['any', 'read-write', 'primary'];

/**
 * Splits a (possibly multi-host) postgres:// address. Throws a plain Error with a message fit for
 * the operator on a malformed address or an unsupported `target_session_attrs`.
 */
export function parsePostgresHosts(raw: string): PostgresHosts {
  const match = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^/?#]*)(.*)$/.exec(raw);
  if (!match) throw new Error('is not a postgres:// address');
  const [, scheme, userInfo = '', hostList, rest] = match as unknown as [string, string, string | undefined, string, string];
  const hosts = hostList.split(',');
  if (hosts.some((h) => h.trim() === '')) throw new Error('has an empty host in its host list');
  const urls = hosts.map((host) => new URL(`${scheme}${userInfo}${host}${rest}`));
  const target = (urls[0]!.searchParams.get('target_session_attrs') ?? 'any') as TargetSessionAttrs;
  if (!TARGETS.includes(target)) throw new Error(`has target_session_attrs=${target}; Gatehouse takes any, read-write or primary`);
  for (const url of urls) url.searchParams.delete('target_session_attrs');
  return { urls: urls.map((u) => u.toString()), target };
}

/** Connections of a pool now: open, of those idle, and requests waiting for one (/metrics). */
export interface PoolCounts {
  total: number;
  idle: number;
  waiting: number;
}

export const countsOf = (pool: pg.Pool): PoolCounts => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });

/** The part of pg.Pool that Kysely's PostgresDialect and the session check's one-row read use. */
export interface QueryPool {
  connect(): Promise<pg.PoolClient>;
  query(config: pg.QueryArrayConfig): Promise<pg.QueryArrayResult>;
  end(): Promise<void>;
}

type PoolOptions = Omit<pg.PoolConfig, 'connectionString'>;

/**
 * A pool on one host whose connections may die at any moment without taking the process along.
 * pg-pool listens for errors only on idle connections; a connection checked out between two
 * statements (a transaction waiting for a password hash, say) that loses its server emits 'error'
 * with nobody listening, which crashes Node. Every connection gets a listener of its own: the
 * statement that next uses it fails instead (answered 503), and the pool drops it on release.
 */
export function openHostPool(url: string, options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({ ...options, connectionString: url });
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return pool;
}

/** Errors that mean "this host is not answering as a primary": try the others. */
function meansHostLost(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03', '08006', '08001', '25006'].includes(
      e.code ?? '',
    ) || /Connection terminated|timeout exceeded when trying to connect/i.test(e.message ?? '')
  );
}

/** One statement on a connection of `pool`; a connection that lost its host is not handed out again. */
async function queryOnce(pool: Pick<QueryPool, 'connect'>, config: pg.QueryArrayConfig): Promise<pg.QueryArrayResult> {
  const client = await pool.connect();
  try {
    const result = await client.query(config);
    client.release();
    return result;
  } catch (error) {
    client.release(meansHostLost(error) ? (error as Error) : undefined);
    throw error;
  }
}

export class FailoverPool implements QueryPool {
  private current: { url: string; pool: pg.Pool };
  /** Connections already seen to be on an acceptable host (a new one is checked once). */
  private readonly checked = new WeakSet<pg.PoolClient>();
  private locating: Promise<void> | null = null;
  private ended = false;

  constructor(
    private readonly hosts: PostgresHosts,
    private readonly options: PoolOptions,
  ) {
    this.current = this.open(hosts.urls[0]!);
  }

  private open(url: string): { url: string; pool: pg.Pool } {
    return { url, pool: openHostPool(url, this.options) };
  }

  async connect(): Promise<pg.PoolClient> {
    try {
      return await this.acceptable(await this.current.pool.connect());
    } catch (error) {
      if (this.ended || !meansHostLost(error)) throw error;
      await this.locate();
      // One more try on the host found; if none was found, this fails as the outage it is.
      return this.acceptable(await this.current.pool.connect());
    }
  }

  query(config: pg.QueryArrayConfig): Promise<pg.QueryArrayResult> {
    return queryOnce(this, config);
  }

  async end(): Promise<void> {
    this.ended = true;
    await this.current.pool.end();
  }

  counts(): PoolCounts {
    return countsOf(this.current.pool);
  }

  /** A connection on a standby, where a primary is needed, is dropped and reported as a lost host. */
  private async acceptable(client: pg.PoolClient): Promise<pg.PoolClient> {
    if (this.hosts.target === 'any' || this.checked.has(client)) return client;
    let problem: Error;
    try {
      if (await isPrimary(client)) {
        this.checked.add(client);
        return client;
      }
      problem = Object.assign(new Error('the database host is a read-only standby'), { code: '25006' });
    } catch (error) {
      problem = error as Error;
    }
    client.release(problem);
    throw problem;
  }

  /** Tries every host in order and moves the pool to the first acceptable one; one search at a time. */
  private locate(): Promise<void> {
    this.locating ??= this.search().finally(() => {
      this.locating = null;
    });
    return this.locating;
  }

  private async search(): Promise<void> {
    for (const url of this.hosts.urls) {
      const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: this.options.connectionTimeoutMillis });
      probe.on('error', () => {});
      try {
        await probe.connect();
        const fit = this.hosts.target === 'any' || (await isPrimary(probe));
        if (!fit) continue;
        if (url !== this.current.url) {
          const old = this.current.pool;
          this.current = this.open(url);
          void old.end().catch(() => {});
        }
        return;
      } catch {
        // This host is not answering: the next one.
      } finally {
        await probe.end().catch(() => {});
      }
    }
  }
}

/** Read-write, as libpq's target_session_attrs=read-write asks: not in recovery, not read-only by default. */
async function isPrimary(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ recovery: boolean; read_only: string }>(
    "select pg_is_in_recovery() as recovery, current_setting('transaction_read_only') as read_only",
  );
  return rows[0]!.recovery === false && rows[0]!.read_only === 'off';
}

const shed = (message: string): Error => Object.assign(new Error(message), { code: 'EPOOLFULL' });

/** A connection within `ms`, or EPOOLFULL; one that arrives later goes straight back to the pool. */
async function connectWithin(pool: QueryPool, ms: number): Promise<pg.PoolClient> {
  const pending = pool.connect();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(shed("the request's time to wait for the database ran out")), ms);
  });
  try {
    return await Promise.race([pending, timeout]);
  } catch (error) {
    pending.then(
      (client) => client.release(),
      () => {},
    );
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sheds load instead of queueing it: when `maxWaiting` requests already wait for a connection, the
 * next is refused at once (code EPOOLFULL, answered as the documented 503). With a slow database,
 * a queue without bound makes every request wait behind every other, past any timeout; a bounded
 * one keeps the wait near one statement's time, so answers stay within their bound.
 */
export class SheddingPool implements QueryPool {
  private waiting = 0;

  constructor(
    private readonly inner: QueryPool,
    private readonly maxWaiting: number,
    private readonly innerCounts: () => PoolCounts,
    /** The host pool's own wait for a connection; a request with less time left waits less. */
    private readonly connectTimeoutMs: number,
  ) {}

  /** The host pool's connections; waiting counts those this wrapper let queue. */
  counts(): PoolCounts {
    return { ...this.innerCounts(), waiting: this.waiting };
  }

  async connect(): Promise<pg.PoolClient> {
    if (this.waiting >= this.maxWaiting) throw shed('too many requests wait for a database connection');
    this.waiting++;
    try {
      return await chargeConnectionWait(
        this.connectTimeoutMs,
        (ms) => (ms >= this.connectTimeoutMs ? this.inner.connect() : connectWithin(this.inner, ms)),
        () => shed("the request's time to wait for the database is spent"),
      );
    } finally {
      this.waiting--;
    }
  }

  query(config: pg.QueryArrayConfig): Promise<pg.QueryArrayResult> {
    return queryOnce(this, config);
  }

  end(): Promise<void> {
    return this.inner.end();
  }
}
