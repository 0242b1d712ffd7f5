// Fast seeding for benchmarks: users share one precomputed Argon2id hash (OWASP parameters), and
// optionally an enabled TOTP secret each, written straight into the database in batches.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import type { SessionFactorsColumn, SessionsTable, TrustedDevicesTable, TwoFactorTable, UsersTable } from '../../src/db/schema.js';
import { generateSessionToken, hashSessionToken } from '../../src/crypto/tokens.js';
import { deviceCookieName } from '../../src/modules/trusted-devices/index.js';
import { hash, Algorithm } from '@node-rs/argon2';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createServices } from '../../src/services.js';
import { encryptSecret } from '../../src/crypto/secret-box.js';
import { generateTotpSecret } from '../../src/modules/totp/index.js';

export const BENCH_PASSWORD = 'correct-horse-battery-staple-42';

export interface Seeded {
  emails: string[];
  secrets: Map<string, string>;
  /** Each user's trusted-device cookie ("gatehouse_device=…"), as a returning browser holds it. */
  devices: Map<string, string>;
}

export async function seedUsers(
  url: string,
  masterKey: Buffer,
  options: { count: number; withTwoFactor?: number; prefix?: string; admin?: string },
): Promise<Seeded> {
  const config = loadConfig({ GATEHOUSE_DATABASE_URL: url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') });
  const database = openDatabase(url);
  await migrateToLatest(database.db);
  const s = await createServices(config, database, { masterKey });
  const passwordHash = await hash(BENCH_PASSWORD, { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
  const emails: string[] = [];
  const secrets = new Map<string, string>();
  const devices = new Map<string, string>();
  const now = Date.now();
  const batch = 500;
  for (let start = 0; start < options.count; start += batch) {
    const users: Insertable<UsersTable>[] = [];
    const twoFactor: Insertable<TwoFactorTable>[] = [];
    const trusted: Insertable<TrustedDevicesTable>[] = [];
    for (let i = start; i < Math.min(options.count, start + batch); i++) {
      const id = randomUUID();
      const email = i === 0 && options.admin ? options.admin : `${options.prefix ?? 'user'}-${String(i).padStart(7, '0')}@bench.example`;
      users.push({
        id,
        email,
        role: (i === 0 && options.admin ? 'admin' : 'user') as 'admin' | 'user',
        locale: 'en',
        password_hash: passwordHash,
        blocked: 0,
        created_at: now + i,
        last_sign_in_at: null,
        password_changed_at: now,
        two_factor_required_since: null,
      });
      if (i < (options.withTwoFactor ?? 0)) {
        const secret = generateTotpSecret();
        secrets.set(email, secret);
        twoFactor.push({
          user_id: id,
          secret_ciphertext: encryptSecret(s.keys.secretBox, secret, id),
          enabled_at: now,
          last_used_step: null,
          recent_offsets: '[]',
          created_at: now,
        });
      }
      emails.push(email);
      // Most sign-ins come from a browser that signed in before: each user gets a trusted device.
      const token = generateSessionToken();
      devices.set(email, `${deviceCookieName({ secureCookies: false })}=${token}`);
      trusted.push({
        id: randomUUID(),
        user_id: id,
        token_hash: hashSessionToken(token),
        label: 'bench',
        address: '127.0.0.1',
        created_at: now,
        last_used_at: now,
        expires_at: now + 365 * 86_400_000,
      });
    }
    await database.db.transaction().execute(async (trx) => {
      await trx.insertInto('users').values(users).execute();
      if (twoFactor.length > 0) await trx.insertInto('two_factor').values(twoFactor).execute();
      await trx.insertInto('trusted_devices').values(trusted).execute();
    });
  }
  await database.close();
  return { emails, secrets, devices };
}

/**
 * `count` live sessions (signed in with a password a moment ago, seven days to live, the default
 * lifetime) spread over the users already in the database, written straight into it in batches,
 * each with a real token's hash. Answers the tokens, for session checks.
 */
export async function seedSessions(url: string, count: number): Promise<string[]> {
  const database = openDatabase(url);
  const users = (await database.db.selectFrom('users').select('id').execute()).map((row) => row.id);
  if (users.length === 0) throw new Error('seedSessions: seed the users first');
  const tokens: string[] = [];
  const now = Date.now();
  const batch = 500;
  await database.db.transaction().execute(async (trx) => {
    for (let start = 0; start < count; start += batch) {
      const rows: Array<Insertable<SessionsTable> & SessionFactorsColumn> = [];
      for (let i = start; i < Math.min(count, start + batch); i++) {
        const token = generateSessionToken();
        tokens.push(token);
        rows.push({
          token_hash: hashSessionToken(token),
          user_id: users[i % users.length]!,
          kind: 'full',
          created_at: now,
          last_seen_at: now,
          expires_at: now + 7 * 86_400_000,
          address: '127.0.0.1',
          public_id: randomBytes(16).toString('base64url'),
          user_agent: 'bench',
          reauthenticated_at: null,
          verify_token_hash: null,
          amr: '["pwd"]',
        });
      }
      await trx.insertInto('sessions').values(rows).execute();
    }
  });
  await database.close();
  return tokens;
}
