// Builds a real app on a real database for a test, and an HTTP client with a cookie jar that
// talks to it through app.inject() (or over a real socket, for multi-instance tests).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { createServices, type Services } from '../services.js';
import { buildApp } from '../app.js';
import type { Argon2Params } from '../modules/passwords/password-hasher.js';
import type { Role } from '../modules/users/users.repository.js';

/** Cheap Argon2id for tests that are not about hashing cost (the hashing tests use OWASP's). */
export const FAST_ARGON2: Argon2Params = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

export interface TestApp {
  app: FastifyInstance;
  s: Services;
  close(): Promise<void>;
}

export interface TestAppOptions {
  url: string;
  masterKey?: Buffer;
  clock?: () => number;
  env?: Record<string, string>;
  argon2?: Argon2Params;
  /** Where mail goes without SMTP (default: a fresh temporary folder). */
  outboxDir?: string;
  /** The mail worker's poll interval (default 1 s; mail tests poll faster). */
  mailPollMs?: number;
}

export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const masterKey = options.masterKey ?? randomBytes(32);
  const config = loadConfig({
    GATEHOUSE_DATABASE_URL: options.url,
    GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64'),
    GATEHOUSE_SIGNIN_RATE_LIMIT: '0',
    ...options.env,
  });
  const database = openDatabase(config.databaseUrl);
  await migrateToLatest(database.db);
  const outboxDir = options.outboxDir ?? path.join(os.tmpdir(), `gatehouse-outbox-${randomBytes(6).toString('hex')}`);
  const s = await createServices(config, database, { masterKey, clock: options.clock, argon2Params: options.argon2 ?? FAST_ARGON2, outboxDir, mailPollMs: options.mailPollMs });
  const app = await buildApp(s, { logger: false });
  await app.ready();
  return {
    app,
    s,
    close: async () => {
      await app.close();
      await database.close();
      if (!options.outboxDir) fs.rmSync(outboxDir, { recursive: true, force: true });
    },
  };
}

export const STRONG_PASSWORD = 'correct-horse-battery-staple-42';

export async function seedUser(s: Services, email: string, role: Role = 'user', password = STRONG_PASSWORD) {
  return s.users.create({ email, password, role }, null, null);
}

export interface Answer {
  status: number;
  body: any;
  headers: Record<string, string | string[] | number | undefined>;
  cookies: LightMyRequestResponse['cookies'];
}

/** A browser-like client: keeps the session cookie between calls. */
export class Client {
  cookie: string | null = null;

  constructor(
    private readonly app: FastifyInstance,
    private readonly cookieName = 'gatehouse_session',
  ) {}

  async call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await this.app.inject({
      method,
      url,
      ...(body === undefined ? {} : { payload: body as object }),
      headers: { ...(this.cookie ? { cookie: `${this.cookieName}=${this.cookie}` } : {}), ...headers },
    });
    const set = response.cookies.find((c) => c.name === this.cookieName);
    if (set) this.cookie = set.value === '' || (set.expires && set.expires.getTime() < Date.now()) ? null : set.value;
    let parsed: unknown = response.body;
    try {
      parsed = response.body ? JSON.parse(response.body) : null;
    } catch {
      // not JSON
    }
    return { status: response.statusCode, body: parsed, headers: response.headers, cookies: response.cookies };
  }

  get = (url: string, headers?: Record<string, string>) => this.call('GET', url, undefined, headers);
  post = (url: string, body: unknown = {}, headers?: Record<string, string>) => this.call('POST', url, body, headers);
  put = (url: string, body: unknown, headers?: Record<string, string>) => this.call('PUT', url, body, headers);
  patch = (url: string, body: unknown, headers?: Record<string, string>) => this.call('PATCH', url, body, headers);
  delete = (url: string, headers?: Record<string, string>) => this.call('DELETE', url, undefined, headers);

  async signIn(email: string, password = STRONG_PASSWORD): Promise<Answer> {
    return this.post('/api/session', { email, password });
  }
}
