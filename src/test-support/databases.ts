// Every database test runs on SQLite and on PostgreSQL ("no mocks"): a fresh SQLite file, or a
// fresh PostgreSQL database created next to GATEHOUSE_TEST_POSTGRES_URL and dropped afterwards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export interface DialectUnderTest {
  name: 'sqlite' | 'postgres';
  /** A reason to skip, said by name in the test output; undefined when it runs. */
  skip: string | undefined;
  create(): Promise<TestDatabase>;
}

const POSTGRES_URL = process.env.GATEHOUSE_TEST_POSTGRES_URL;
/** Set by .ci/run: nothing may be skipped there, so a missing service fails instead. */
export const REQUIRE_ALL = process.env.GATEHOUSE_TEST_REQUIRE_ALL === '1';

/** The skip reason for a missing dependency, or undefined (run it) when it is there or CI demands it. */
export function skipUnless(present: boolean, reason: string): string | undefined {
  return present || REQUIRE_ALL ? undefined : `SKIPPED ${reason}`;
}

async function createSqlite(): Promise<TestDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-test-'));
  return { url: `sqlite:${path.join(dir, 'gatehouse.db')}`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

async function createPostgres(): Promise<TestDatabase> {
  if (!POSTGRES_URL) throw new Error('GATEHOUSE_TEST_POSTGRES_URL is required here (GATEHOUSE_TEST_REQUIRE_ALL=1)');
  const name = `gatehouse_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_URL!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export const DIALECTS: DialectUnderTest[] = [
  { name: 'sqlite', skip: undefined, create: createSqlite },
  {
    name: 'postgres',
    skip: skipUnless(Boolean(POSTGRES_URL), 'PostgreSQL: GATEHOUSE_TEST_POSTGRES_URL is not set (.ci/run sets it)'),
    create: createPostgres,
  },
];
