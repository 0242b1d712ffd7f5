// Opens the database named by GATEHOUSE_DATABASE_URL: SQLite (better-sqlite3) by default,
// PostgreSQL (pg) for several instances. Everything above this file sees one Kysely<DB>.
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type { DB } from './schema.js';
import { FailoverPool, countsOf, openHostPool, type PoolCounts, parsePostgresHosts, type QueryPool, SheddingPool } from './postgres-failover.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Database {
  readonly db: Kysely<DB>;
  readonly dialect: DialectName;
  /** The SQLite file, for backups and for the default key file's folder; null on PostgreSQL. */
  readonly sqlitePath: string | null;
  /** One-row reads on the hottest path (session checks); see `RowReader`. */
  readonly readRow: RowReader;
  /** PostgreSQL: the pool's connections now (/metrics); absent on SQLite (one connection). */
  readonly poolCounts?: () => PoolCounts;
  close(): Promise<void>;
}

/**
 * Runs one compiled SELECT and answers its first row, as an array in the select list's order. For the session check, which every guarded
 * request and forward-auth call makes: on a SQLite file, a prepared statement on a second,
 * read-only connection, run at once (no Kysely driver, no connection mutex; in WAL mode it sees
 * exactly what is committed, never another request's open transaction); on PostgreSQL, one pool
 * query. The SQL itself still comes from a repository.
 */
export type RowReader = (sql: string, parameters: readonly unknown[]) => Promise<unknown[] | undefined>;

/** How long a SQLite writer waits for the lock before giving up (another process, e.g. the CLI). */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

export function sqlitePathFromUrl(url: string): string {
  const rest = url.slice('sqlite:'.length);
  return rest === ':memory:' ? rest : path.resolve(rest.replace(/^\/\/(?=\/)/, ''));
}

export function openDatabase(url: string): Database {
  if (url.startsWith('sqlite:')) return openSqlite(sqlitePathFromUrl(url));
  return openPostgres(url);
}

/** The database holds password hashes and sealed secrets: only the server's user may read it. */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_FOLDER_MODE = 0o700;

/**
 * Creates the folder (0700) and an empty database file (0600) before SQLite opens it: SQLite gives
 * its WAL and shared-memory files the database file's mode, so they are private too. Existing
 * files and folders keep the modes their operator gave them.
 */
export function createPrivateFile(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: PRIVATE_FOLDER_MODE });
  try {
    fs.closeSync(fs.openSync(file, 'wx', PRIVATE_FILE_MODE));
    fs.chmodSync(file, PRIVATE_FILE_MODE); // in case a umask took more than it should, never less
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

function openSqlite(file: string): Database {
  if (file !== ':memory:') createPrivateFile(file);
  const connection = new SQLite(file);
  // WAL lets readers go on while one writer commits; the busy timeout turns a momentary lock
  // held by another process into a short wait instead of an SQLITE_BUSY error.
  connection.pragma('journal_mode = WAL');
  connection.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  connection.pragma('foreign_keys = ON');
  connection.pragma('synchronous = NORMAL');
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(connection) }) });
  const reader = file === ':memory:' ? null : readOnlyConnection(file);
  return {
    db,
    dialect: 'sqlite',
    sqlitePath: file === ':memory:' ? null : file,
    // An in-memory database has no second connection: its reads go through Kysely like the rest.
    readRow: reader ? reader.readRow : kyselyReader(db),
    close: async () => {
      reader?.close();
      await db.destroy();
    },
  };
}

function readOnlyConnection(file: string): { readRow: RowReader; close(): void } {
  const connection = new SQLite(file, { readonly: true, fileMustExist: true });
  connection.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  const statements = new Map<string, SQLite.Statement>();
  return {
    readRow: (text: string, parameters: readonly unknown[]) => {
      try {
        let statement = statements.get(text);
        if (statement === undefined) {
          // Rows as arrays, in the select list's order: no object with named keys built per read.
          statement = connection.prepare(text).raw(true);
          statements.set(text, statement);
        }
        return Promise.resolve(statement.get(...parameters) as unknown[] | undefined);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    close: () => connection.close(),
  };
}

function kyselyReader(db: Kysely<DB>): RowReader {
  return async (text: string, parameters: readonly unknown[]) => {
    const row = (await db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, [...parameters]))).rows[0];
    return row === undefined ? undefined : Object.values(row);
  };
}

/** How many distinct SQL texts keep their prepared statement (the app has a few dozen). */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query anew, and preparing costs more than running a small indexed query
 * (a profile of session checks showed prepare() as the largest single cost). Statements are
 * reusable on the one synchronous connection, so they are kept by their SQL text.
 */
function withStatementCache(connection: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  return new Proxy(connection, {
    get(target, property, receiver) {
      if (property !== 'prepare') {
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (source: string) => {
        let statement = cache.get(source);
        if (!statement) {
          if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
          statement = target.prepare(source);
          cache.set(source, statement);
        }
        return statement;
      };
    },
  });
}

// pg returns BIGINT (type 20) as a string to avoid precision loss; our bigints are epoch
// milliseconds and step numbers, far below 2^53, so numbers are safe and match SQLite's shape.
const pgTypes = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)),
} as unknown as pg.CustomTypesConfig;

/** How long a request waits for a PostgreSQL connection, and for one statement, before it is a 503. */
export const POSTGRES_CONNECT_TIMEOUT_MS = 3000;
export const POSTGRES_STATEMENT_TIMEOUT_MS = 10_000;
/** Connections per instance, and how many requests may wait for one before the next gets a 503. */
export const POSTGRES_POOL_SIZE = 10;
const POSTGRES_MAX_WAITING = 5 * POSTGRES_POOL_SIZE;

function openPostgres(url: string): Database {
  const hosts = parsePostgresHosts(url);
  const options = {
    max: POSTGRES_POOL_SIZE,
    types: pgTypes,
    // Fail fast when the server is down instead of queueing requests forever.
    connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    // A slow or stalled database ends a statement (the server cancels it; pg gives up on the
    // socket a little later), so no request waits past a bound and the pool does not pile up.
    statement_timeout: POSTGRES_STATEMENT_TIMEOUT_MS,
    query_timeout: POSTGRES_STATEMENT_TIMEOUT_MS + 1000,
  };
  let hostPool: QueryPool;
  let counts: () => PoolCounts;
  if (hosts.urls.length === 1 && hosts.target === 'any') {
    const single = openHostPool(hosts.urls[0]!, options);
    hostPool = single;
    counts = () => countsOf(single);
  } else {
    const failover = new FailoverPool(hosts, options);
    hostPool = failover;
    counts = () => failover.counts();
  }
  const pool = new SheddingPool(hostPool, POSTGRES_MAX_WAITING, counts, POSTGRES_CONNECT_TIMEOUT_MS);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const readRow: RowReader = async (text: string, parameters: readonly unknown[]) =>
    (await pool.query({ text, values: [...parameters], rowMode: 'array' })).rows[0] as unknown[] | undefined;
  return { db, dialect: 'postgres', sqlitePath: null, readRow, poolCounts: () => pool.counts(), close: () => db.destroy() };
}

export async function pingDatabase(db: Kysely<DB>): Promise<void> {
  await sql`select 1`.execute(db);
}
