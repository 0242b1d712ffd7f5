// Builds a real app on a real database for a test, and an HTTP client with a cookie jar that
// talks to it through app.inject() and keeps its cookie by the app's clock, as a browser would by
// its own.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { createServices, type Services } from '../services.js';
import { buildApp } from '../app.js';
import type { Argon2Params } from '../modules/passwords/index.js';
import type { Role } from '../modules/users/index.js';
import { DEFAULT_AUTH_SETTINGS, type AuthSettingsPatch } from '../modules/settings/index.js';
import { TestClock } from './clock.js';
import { phoneCode } from './authenticator.js';

/** Cheap Argon2id for tests that are not about hashing cost (the hashing tests use OWASP's). */
export const FAST_ARGON2: Argon2Params = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

export interface TestApp {
  app: FastifyInstance;
  s: Services;
  /** A new browser-like client of this app, on this app's clock. */
  client(): Client;
  close(): Promise<void>;
}

export interface TestAppOptions {
  url: string;
  masterKey?: Buffer;
  /**
   * The app's only source of time. Default: a TestClock standing at TEST_EPOCH. An app sharing its
   * database with real server processes gets `realClock` (processes.ts), as they have no other.
   */
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
  const clock = options.clock ?? new TestClock().read;
  const outboxDir = options.outboxDir ?? path.join(os.tmpdir(), `gatehouse-outbox-${randomBytes(6).toString('hex')}`);
  const s = await createServices(config, database, {
    masterKey,
    clock,
    argon2Params: options.argon2 ?? FAST_ARGON2,
    outboxDir,
    mailPollMs: options.mailPollMs,
  });
  const app = await buildApp(s, { logger: false });
  await app.ready();
  APP_CLOCKS.set(app, clock);
  return {
    app,
    s,
    client: () => new Client(app, { clock }),
    close: async () => {
      await app.close();
      await database.close();
      if (!options.outboxDir) fs.rmSync(outboxDir, { recursive: true, force: true });
    },
  };
}

export const STRONG_PASSWORD = 'correct-horse-battery-staple-42';

let emailCount = 0;

/** An email no other test uses (`member-7-3fa9c1@example.com`), so no test meets another's account. */
export function uniqueEmail(label: string): string {
  return `${label.toLowerCase()}-${++emailCount}-${randomBytes(3).toString('hex')}@example.com`;
}

/**
 * Puts the Authentication settings back to their defaults, plus `patch`, on every given instance
 * of one database: tests sharing a database start from known settings, whatever the last one
 * left. update() also drops each instance's settings cache, which a clock reset would otherwise
 * keep alive (the cache is valid until a time the reset clock has not reached again).
 */
export async function resetSettings(apps: TestApp[], patch: AuthSettingsPatch = {}): Promise<void> {
  for (const t of apps) await t.s.settings.update({ ...DEFAULT_AUTH_SETTINGS, ...patch });
}

export async function seedUser(s: Services, email: string, role: Role = 'user', password = STRONG_PASSWORD) {
  return s.users.create({ email, password, role }, null, null);
}

export interface Answer {
  status: number;
  body: any;
  headers: Record<string, string | string[] | number | undefined>;
  cookies: LightMyRequestResponse['cookies'];
}

/** The clock of every app startTestApp made: a client of that app judges cookies by it. */
const APP_CLOCKS = new WeakMap<FastifyInstance, () => number>();

export interface ClientOptions {
  /** The app's clock: the client's "now" for cookie expiry, as the app and the client share one world. */
  clock?: () => number;
  cookieName?: string;
}

/**
 * A browser-like client: keeps the session cookie between calls, drops it when the app clears it
 * (empty value, Expires or Max-Age in the past) and stops sending it once its Expires has passed,
 * all judged by the app's clock, never the real date (the app may run years away from it).
 */
export class Client {
  private jar: { value: string; expires: number | null } | null = null;
  private readonly clock: () => number;
  private readonly cookieName: string;

  /**
   * `options` may be left out (or be just a cookie name) for an app made by startTestApp: the
   * client then takes that app's own clock, so it can never judge cookies by another.
   */
  constructor(
    private readonly app: FastifyInstance,
    options?: ClientOptions | string,
  ) {
    const given = typeof options === 'string' ? { cookieName: options } : (options ?? {});
    const clock = given.clock ?? APP_CLOCKS.get(app);
    if (!clock) throw new Error('Client: pass the clock of an app that startTestApp did not make');
    this.clock = clock;
    this.cookieName = given.cookieName ?? 'gatehouse_session';
  }

  /** The app's time, as this client (and the app) sees it. */
  now(): number {
    return this.clock();
  }

  /** The cookie's value while it lives; tests set it to replay or forge a token. */
  get cookie(): string | null {
    if (this.jar && this.jar.expires !== null && this.jar.expires < this.clock()) this.jar = null;
    return this.jar?.value ?? null;
  }

  set cookie(value: string | null) {
    this.jar = value === null ? null : { value, expires: null };
  }

  async call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const cookie = this.cookie;
    const response = await this.app.inject({
      method,
      url,
      ...(body === undefined ? {} : { payload: body as object }),
      headers: { ...(cookie ? { cookie: `${this.cookieName}=${cookie}` } : {}), ...headers },
    });
    const set = response.cookies.find((c) => c.name === this.cookieName);
    if (set) {
      // RFC 6265 §5.2.2: Max-Age wins over Expires, and Max-Age ≤ 0 means "already expired".
      const now = this.clock();
      let expires = set.expires?.getTime() ?? null;
      if (set.maxAge !== undefined) expires = set.maxAge <= 0 ? -Infinity : now + set.maxAge * 1000;
      const removed = set.value === '' || (expires !== null && expires < now);
      this.jar = removed ? null : { value: set.value, expires };
    }
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

  /** Step-up: re-authenticate this session (the code when the account has 2FA). */
  async stepUp(password = STRONG_PASSWORD, code?: string): Promise<Answer> {
    return this.post('/api/session/step-up', code === undefined ? { password } : { password, code });
  }
}

export interface TwoFactorEnrolment {
  /** The base32 key the setup showed: codes come from phoneCode(key, time) (authenticator.ts). */
  key: string;
  backupCodes: string[];
}

/** What enrolTwoFactor needs of a client: the harness's Client, or the HttpClient of a server process. */
export interface EnrollingClient {
  post(url: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/**
 * Turns on TOTP for the account `client` is signed in as, through the real API, as a person
 * would: a step-up with the password, a new key, and the code a phone shows at `at`. `at`
 * defaults to the app's clock for a Client (a skewed phone passes its own time); a client of a
 * server process passes the time that process keeps. The session stays stepped up for 10 minutes.
 */
export async function enrolTwoFactor(client: EnrollingClient, options: { at?: number; password?: string } = {}): Promise<TwoFactorEnrolment> {
  const at = options.at ?? (client instanceof Client ? client.now() : undefined);
  if (at === undefined) throw new Error("enrolTwoFactor: pass `at`, the server's time, for a client that is not the harness's Client");
  const stepUp = await client.post('/api/session/step-up', { password: options.password ?? STRONG_PASSWORD });
  assert.equal(stepUp.status, 204, `step-up before enrolment: ${JSON.stringify(stepUp.body)}`);
  const setup = await client.post('/api/me/2fa/setup');
  assert.equal(setup.status, 200, `2FA setup: ${JSON.stringify(setup.body)}`);
  const key = setup.body.key as string;
  const enabled = await client.post('/api/me/2fa/enable', { code: phoneCode(key, at) });
  assert.equal(enabled.status, 200, `2FA enable: ${JSON.stringify(enabled.body)}`);
  return { key, backupCodes: enabled.body.backupCodes as string[] };
}
