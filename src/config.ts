// The only reader of process.env. Every value is validated here, once, at start-up:
// a bad value stops the program before it listens, with a message naming the variable and the fix.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parsePostgresHosts } from './db/postgres-failover.js';
import { ConfigError } from './config-error.js';
import { type DirectoryConfig, parseDirectoryConfig } from './config-directory.js';

export { ConfigError } from './config-error.js';
export type { DirectoryConfig, DirectoryPreset } from './config-directory.js';

export interface Config {
  readonly databaseUrl: string;
  readonly host: string;
  readonly port: number;
  readonly publicUrl: URL;
  readonly secureCookies: boolean;
  /** base64 of 32 bytes, or null: then main.ts creates/reads a key file next to the SQLite database. */
  readonly encryptionKey: Buffer | null;
  /** GATEHOUSE_ENCRYPTION_KEY_FILE, resolved (a relative name is looked up in $CREDENTIALS_DIRECTORY): where encryptionKey was read from. */
  readonly encryptionKeyFile: string | null;
  readonly issuer: string;
  readonly signinRateLimit: number;
  /** GATEHOUSE_INVITATION_DAYS: how long an invitation link works (1–90, default 7). */
  readonly invitationDays: number;
  readonly trustProxy: readonly string[];
  readonly sessionIdleSeconds: number;
  readonly sessionMaxSeconds: number;
  readonly hashConcurrency: number;
  readonly hashQueueLimit: number;
  readonly auditRetentionDays: number;
  readonly logLevel: string;
  readonly allowedRedirectHosts: readonly string[];
  readonly cookieDomain: string | null;
  /** GATEHOUSE_ACCESS_DEFAULT: what forward auth answers for a host no application names; null: what the install chose (migration 0018). */
  readonly accessDefault: 'allow' | 'deny' | null;
  /** Start even when this server's clock is further from the database's than codes allow. */
  readonly allowClockSkew: boolean;
  /** smtp:// or smtps:// with credentials; null: mail is written to the outbox folder (data/outbox/). */
  readonly smtpUrl: string | null;
  /** The From of every message: an address, or `Name <address>`. */
  readonly mailFrom: string;
  /** GATEHOUSE_LDAP_*: users from an LDAP directory or Active Directory; null: local accounts only. */
  readonly directory: DirectoryConfig | null;
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) {
    throw new ConfigError(name, `"${raw}" is not a whole number`, `Set it to a whole number from ${min} to ${max}.`);
  }
  const value = Number(raw.trim());
  if (value < min || value > max) {
    throw new ConfigError(name, `${value} is out of range`, `Set it to a whole number from ${min} to ${max}.`);
  }
  return value;
}

function flag(env: Env, name: string): boolean {
  const raw = env[name]?.trim() ?? '';
  if (raw === '' || raw === '0') return false;
  if (raw === '1') return true;
  throw new ConfigError(name, `"${raw}" is neither 1 nor 0`, 'Set it to 1 to turn it on, or leave it unset.');
}

function list(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function parseDatabaseUrl(raw: string): string {
  if (raw.startsWith('sqlite:')) return raw;
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) {
    try {
      parsePostgresHosts(raw);
    } catch (error) {
      throw new ConfigError(
        'GATEHOUSE_DATABASE_URL',
        `"${raw.replace(/\/\/[^@]*@/, '//***@')}" ${(error as Error).message}`,
        'Use postgres://user:pass@host:5432/db, or several hosts: postgres://user:pass@db1:5432,db2:5432/db?target_session_attrs=read-write.',
      );
    }
    return raw;
  }
  throw new ConfigError(
    'GATEHOUSE_DATABASE_URL',
    `"${raw.replace(/\/\/[^@]*@/, '//***@')}" is neither a sqlite: nor a postgres:// address`,
    'Use sqlite:./data/gatehouse.db or postgres://user:pass@host:5432/db.',
  );
}

function parsePublicUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('GATEHOUSE_PUBLIC_URL', `"${raw}" is not an address`, 'Use the address users type, like https://login.example.com.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('GATEHOUSE_PUBLIC_URL', `"${raw}" is not http or https`, 'Use the address users type, like https://login.example.com.');
  }
  return url;
}

function parseEncryptionKey(raw: string | undefined): Buffer | null {
  if (raw === undefined || raw.trim() === '') return null;
  const key = Buffer.from(raw.trim(), 'base64');
  if (key.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(raw.trim())) {
    throw new ConfigError(
      'GATEHOUSE_ENCRYPTION_KEY',
      `must be 32 bytes in base64 (got ${key.length} bytes)`,
      "Make one with: node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\"",
    );
  }
  return key;
}

/**
 * GATEHOUSE_ENCRYPTION_KEY_FILE: the key in a file (a container secret, a systemd credential).
 * A relative name is looked up in $CREDENTIALS_DIRECTORY when systemd set it (LoadCredential=).
 */
function readEncryptionKeyFile(env: Env): { key: Buffer; file: string } | null {
  const raw = env.GATEHOUSE_ENCRYPTION_KEY_FILE?.trim() ?? '';
  if (raw === '') return null;
  if (env.GATEHOUSE_ENCRYPTION_KEY?.trim()) {
    throw new ConfigError('GATEHOUSE_ENCRYPTION_KEY_FILE', 'is set together with GATEHOUSE_ENCRYPTION_KEY', 'Keep one of the two.');
  }
  const credentials = env.CREDENTIALS_DIRECTORY?.trim();
  const file = path.isAbsolute(raw) || !credentials ? path.resolve(raw) : path.join(credentials, raw);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      'GATEHOUSE_ENCRYPTION_KEY_FILE',
      `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      'Point it at the file holding the key in base64, readable by the user Gatehouse runs as.',
    );
  }
  let key: Buffer | null = null;
  try {
    key = parseEncryptionKey(text);
  } catch {
    // the message below names the file rather than the variable
  }
  if (!key) throw new ConfigError('GATEHOUSE_ENCRYPTION_KEY_FILE', `${file} does not hold 32 bytes in base64`, 'Write the key there as one base64 line.');
  return { key, file };
}

function parseTrustProxy(raw: string | undefined): string[] {
  const entries = list(raw);
  for (const entry of entries) {
    if (!/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(entry)) {
      throw new ConfigError(
        'GATEHOUSE_TRUST_PROXY',
        `"${entry}" is not an IP address or CIDR range`,
        'List proxy addresses, comma-separated, like 127.0.0.1,10.0.0.0/8.',
      );
    }
  }
  return entries;
}

function parseRedirectHosts(raw: string | undefined): string[] {
  const entries = list(raw).map((h) => h.toLowerCase());
  for (const entry of entries) {
    if (!/^(\*\.)?[a-z0-9.-]+(:\d+)?$/.test(entry)) {
      throw new ConfigError(
        'GATEHOUSE_ALLOWED_REDIRECT_HOSTS',
        `"${entry}" is not a host name`,
        'List hosts, comma-separated, like app.example.com,*.example.com.',
      );
    }
  }
  return entries;
}

function parseAccessDefault(raw: string | undefined): 'allow' | 'deny' | null {
  const value = raw?.trim().toLowerCase() ?? '';
  if (value === '') return null;
  if (value !== 'allow' && value !== 'deny') {
    throw new ConfigError('GATEHOUSE_ACCESS_DEFAULT', `"${raw}" is neither allow nor deny`, 'Set it to deny (refuse hosts no application names) or allow.');
  }
  return value;
}

function parseSmtpUrl(raw: string | undefined): string | null {
  if (raw === undefined || raw.trim() === '') return null;
  const fix =
    'Use smtp://user:password@mail.example.com:587 (STARTTLS when the server offers it) or smtps://user:password@mail.example.com:465, or leave it unset to write mail to data/outbox/.';
  const shown = raw.trim().replace(/\/\/[^@/]*@/, '//***@');
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError('GATEHOUSE_SMTP_URL', `"${shown}" is not an address`, fix);
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new ConfigError('GATEHOUSE_SMTP_URL', `"${shown}" is neither smtp:// nor smtps://`, fix);
  if (url.hostname === '') throw new ConfigError('GATEHOUSE_SMTP_URL', `"${shown}" names no server`, fix);
  return raw.trim();
}

function parseMailFrom(raw: string | undefined, publicUrl: URL): string {
  const value = raw?.trim() || `Gatehouse <no-reply@${publicUrl.hostname}>`;
  const address = /^[^<>\r\n]*<([^<>\s]+@[^<>\s]+)>$/.exec(value)?.[1] ?? value;
  if (!/^[^@\s<>]+@[^@\s<>]+$/.test(address)) {
    throw new ConfigError(
      'GATEHOUSE_MAIL_FROM',
      `"${value}" is not an email address`,
      'Use an address like login@example.com or "Gatehouse <login@example.com>".',
    );
  }
  return value;
}

export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = parseDatabaseUrl(env.GATEHOUSE_DATABASE_URL?.trim() || 'sqlite:./data/gatehouse.db');
  const port = integer(env, 'GATEHOUSE_PORT', 3000, 0, 65535);
  // Unset, the public URL follows the port (http://localhost:3000 by default), so that moving the
  // port alone does not make the cross-site guard refuse the browser.
  const publicUrl = parsePublicUrl(env.GATEHOUSE_PUBLIC_URL?.trim() || `http://localhost:${port}`);
  const fromFile = readEncryptionKeyFile(env);
  const encryptionKey = fromFile?.key ?? parseEncryptionKey(env.GATEHOUSE_ENCRYPTION_KEY);
  if (encryptionKey === null && !databaseUrl.startsWith('sqlite:')) {
    throw new ConfigError(
      'GATEHOUSE_ENCRYPTION_KEY',
      'is required with PostgreSQL, since every instance must share it',
      "Make one with: node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\" and give the same value to every instance.",
    );
  }
  const sessionIdleSeconds = integer(env, 'GATEHOUSE_SESSION_IDLE_SECONDS', 12 * 3600, 60, 30 * 86400);
  const sessionMaxSeconds = integer(env, 'GATEHOUSE_SESSION_MAX_SECONDS', 7 * 86400, 60, 365 * 86400);
  if (sessionMaxSeconds < sessionIdleSeconds) {
    throw new ConfigError(
      'GATEHOUSE_SESSION_MAX_SECONDS',
      'is shorter than GATEHOUSE_SESSION_IDLE_SECONDS',
      'Make the absolute lifetime at least the idle timeout.',
    );
  }
  const logLevel = env.GATEHOUSE_LOG_LEVEL?.trim() || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('GATEHOUSE_LOG_LEVEL', `"${logLevel}" is not a level`, 'Use one of fatal, error, warn, info, debug, trace, silent.');
  }
  const cookieDomain = env.GATEHOUSE_COOKIE_DOMAIN?.trim() || null;
  if (cookieDomain !== null && !/^\.?[a-z0-9.-]+$/i.test(cookieDomain)) {
    throw new ConfigError('GATEHOUSE_COOKIE_DOMAIN', `"${cookieDomain}" is not a domain`, 'Use a parent domain like example.com.');
  }
  return Object.freeze({
    databaseUrl,
    host: env.GATEHOUSE_HOST?.trim() || '127.0.0.1',
    port,
    publicUrl,
    secureCookies: publicUrl.protocol === 'https:',
    encryptionKey,
    encryptionKeyFile: fromFile?.file ?? null,
    issuer: env.GATEHOUSE_ISSUER?.trim() || 'Gatehouse',
    signinRateLimit: integer(env, 'GATEHOUSE_SIGNIN_RATE_LIMIT', 100, 0, 1_000_000),
    invitationDays: integer(env, 'GATEHOUSE_INVITATION_DAYS', 7, 1, 90),
    trustProxy: Object.freeze(parseTrustProxy(env.GATEHOUSE_TRUST_PROXY)),
    sessionIdleSeconds,
    sessionMaxSeconds,
    hashConcurrency: integer(env, 'GATEHOUSE_HASH_CONCURRENCY', Math.max(1, os.availableParallelism()), 1, 256),
    hashQueueLimit: integer(env, 'GATEHOUSE_HASH_QUEUE_LIMIT', 512, 1, 100_000),
    auditRetentionDays: integer(env, 'GATEHOUSE_AUDIT_RETENTION_DAYS', 365, 1, 36500),
    logLevel,
    allowedRedirectHosts: Object.freeze(parseRedirectHosts(env.GATEHOUSE_ALLOWED_REDIRECT_HOSTS)),
    cookieDomain,
    accessDefault: parseAccessDefault(env.GATEHOUSE_ACCESS_DEFAULT),
    allowClockSkew: flag(env, 'GATEHOUSE_ALLOW_CLOCK_SKEW'),
    smtpUrl: parseSmtpUrl(env.GATEHOUSE_SMTP_URL),
    mailFrom: parseMailFrom(env.GATEHOUSE_MAIL_FROM, publicUrl),
    directory: parseDirectoryConfig(env),
  });
}
