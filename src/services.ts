// Everything a request handler may use, built once and passed to buildApp (explicit wiring:
// tests build their own with a fresh database and an injected clock).
import type { Kysely } from 'kysely';
import type { Config } from './config.js';
import type { Database, DialectName } from './db/database.js';
import type { DB } from './db/schema.js';
import { deriveKeys, type Keys } from './crypto/secret-box.js';
import { loadPepper } from './crypto/keyring.js';
import { createPasswordHasher, type Argon2Params, type PasswordHasher } from './modules/passwords/password-hasher.js';
import { SettingsService } from './modules/settings/settings.service.js';
import { AttemptLimiter } from './modules/lockout/attempt-limiter.js';
import { insertAuditEvent, type AuditEventInput } from './modules/audit/audit.repository.js';
import { createMetrics, type Metrics } from './modules/ops/metrics.js';

export interface Services {
  readonly config: Config;
  readonly database: Database;
  readonly db: Kysely<DB>;
  readonly dialect: DialectName;
  readonly keys: Keys;
  readonly hasher: PasswordHasher;
  readonly settings: SettingsService;
  readonly limiter: AttemptLimiter;
  readonly metrics: Metrics;
  readonly clock: () => number;
  audit(event: AuditEventInput): Promise<void>;
}

export async function createServices(
  config: Config,
  database: Database,
  options: { masterKey: Buffer; clock?: () => number; argon2Params?: Argon2Params; defaultMetrics?: boolean },
): Promise<Services> {
  const clock = options.clock ?? Date.now;
  let queueSize = () => 0;
  const metrics = createMetrics({ defaultMetrics: options.defaultMetrics, hashQueueWaiting: () => queueSize() });
  const hasher = await createPasswordHasher({
    params: options.argon2Params,
    concurrency: config.hashConcurrency,
    queueLimit: config.hashQueueLimit,
    observe: (seconds) => metrics.hashSeconds.observe(seconds),
  });
  queueSize = () => hasher.queue.pending;
  const settings = new SettingsService(database.db, clock);
  return {
    config,
    database,
    db: database.db,
    dialect: database.dialect,
    keys: deriveKeys(options.masterKey, await loadPepper(database.db, options.masterKey, clock())),
    hasher,
    settings,
    limiter: new AttemptLimiter(database.db, settings, clock),
    metrics,
    clock,
    audit: (event) => insertAuditEvent(database.db, event, clock()),
  };
}
