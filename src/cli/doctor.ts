// `gatehouse doctor`: checks an installation's configuration before it starts, and says for each
// problem how to fix it. Errors (exit code 1) would make Gatehouse refuse to start, or run unsafely;
// warnings are worth a look. Nothing is changed: no database is created, no migration applied.
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { ConfigError, type Config } from '../config.js';
import { openDatabase, sqlitePathFromUrl } from '../db/database.js';
import { KNOWN_MIGRATIONS, appliedMigrations, unknownMigrations } from '../db/migrate.js';
import { KEY_FILE_NAME } from '../key-file.js';
import { CODE_WINDOW_SECONDS, describeError, measureDatabaseOffsetSeconds } from '../modules/clock-health/index.js';
import { verifySmtp } from '../modules/mail/index.js';

export type Severity = 'error' | 'warning' | 'ok';

export interface Finding {
  check: string;
  severity: Severity;
  message: string;
  /** What to do about it (errors and warnings). */
  fix?: string;
}

export interface DoctorContext {
  config: Config;
  clock: () => number;
  /** Bound on every network wait (database, SMTP). */
  timeoutMs: number;
}

/** One check: a seam for checks other modules add (the directory, when GATEHOUSE_LDAP_* is configured). */
export type DoctorCheck = (ctx: DoctorContext) => Promise<Finding[]>;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const ok = (check: string, message: string): Finding => ({ check, severity: 'ok', message });

async function within<T>(ms: number, work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const checkPublicUrl: DoctorCheck = async ({ config }) => {
  const check = 'public URL and cookies';
  const url = config.publicUrl;
  if (url.protocol === 'https:') return [ok(check, `${url.origin}: cookies are Secure and __Host- prefixed`)];
  if (LOOPBACK.has(url.hostname)) return [ok(check, `${url.origin}: plain http is fine on this machine only (cookies are not Secure)`)];
  return [
    {
      check,
      severity: 'error',
      message: `GATEHOUSE_PUBLIC_URL is ${url.origin}: session cookies are not Secure and passwords cross the network in clear`,
      fix: 'Serve Gatehouse over https (a reverse proxy with TLS in front) and set GATEHOUSE_PUBLIC_URL=https://…',
    },
  ];
};

export const checkTrustedProxies: DoctorCheck = async ({ config }) => {
  const check = 'trusted proxies';
  const everyone = config.trustProxy.filter((entry) => /^(0\.0\.0\.0|::)\/0$/.test(entry));
  if (everyone.length > 0)
    return [
      {
        check,
        severity: 'error',
        message: `GATEHOUSE_TRUST_PROXY trusts every address (${everyone.join(', ')}): any client can claim any address in X-Forwarded-For and escape the per-address limits`,
        fix: 'List only your proxies, like 127.0.0.1 or 10.0.0.5/32.',
      },
    ];
  if (config.trustProxy.length === 0 && config.publicUrl.protocol === 'https:' && !LOOPBACK.has(config.host))
    return [
      {
        check,
        severity: 'warning',
        message: `the public URL is https but GATEHOUSE_TRUST_PROXY is empty and Gatehouse listens on ${config.host}: if a proxy terminates TLS, every client looks like the proxy`,
        fix: "Set GATEHOUSE_TRUST_PROXY to the proxy's address (or listen on 127.0.0.1 behind it).",
      },
    ];
  return [ok(check, config.trustProxy.length > 0 ? `trusting ${config.trustProxy.join(', ')}` : 'no proxy trusted (clients connect directly)')];
};

/** Where the key comes from, and whether anyone but its owner can read it. */
export const checkKeyFile: DoctorCheck = async ({ config }) => {
  const check = 'key file';
  let file = config.encryptionKeyFile;
  if (!file && !config.encryptionKey && config.databaseUrl.startsWith('sqlite:'))
    file = path.join(path.dirname(sqlitePathFromUrl(config.databaseUrl)), KEY_FILE_NAME);
  if (!file) return [ok(check, 'the key comes from GATEHOUSE_ENCRYPTION_KEY')];
  if (!fs.existsSync(file)) return [ok(check, `${file} does not exist yet: the first start creates it (mode 0600)`)];
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0)
    return [
      {
        check,
        severity: 'error',
        message: `${file} is readable by others (mode ${mode.toString(8).padStart(4, '0')}): whoever reads it can decrypt every TOTP secret`,
        fix: `chmod 600 ${file} (and keep it owned by the user Gatehouse runs as)`,
      },
    ];
  return [ok(check, `${file} (mode ${mode.toString(8).padStart(4, '0')})`)];
};

function migrationFindings(check: string, applied: string[]): Finding[] {
  const newer = unknownMigrations(applied);
  if (newer.length > 0)
    return [
      {
        check,
        severity: 'error',
        message: `the database was migrated by a newer Gatehouse (${newer.join(', ')}): this version refuses to start on it`,
        fix: 'Run that newer version, or restore a backup taken before the upgrade.',
      },
    ];
  const pending = KNOWN_MIGRATIONS.filter((name) => !applied.includes(name));
  if (pending.length > 0)
    return [
      {
        check,
        severity: 'warning',
        message: `${pending.length} migrations to apply (${pending.at(-1)} is the newest)`,
        fix: 'Back up, then run `gatehouse migrate` (or start Gatehouse: it applies them).',
      },
    ];
  return [ok(check, `reachable, migrated (${applied.at(-1)})`)];
}

/** Reachable and migrated; also the clock against the database server's (PostgreSQL). */
export const checkDatabase: DoctorCheck = async ({ config, clock, timeoutMs }) => {
  const check = 'database';
  if (config.databaseUrl.startsWith('sqlite:')) {
    const file = sqlitePathFromUrl(config.databaseUrl);
    if (!fs.existsSync(file)) return [ok(check, `${file} does not exist yet: the first start creates it`)];
    try {
      const db = new SQLite(file, { readonly: true, fileMustExist: true });
      try {
        const table = db.prepare("select name from sqlite_master where type = 'table' and name = 'kysely_migration'").get();
        const names = table ? (db.prepare('select name from kysely_migration').all() as Array<{ name: string }>).map((r) => r.name) : [];
        return [...migrationFindings(check, names), ok('clock', 'SQLite: the database shares this machine’s clock')];
      } finally {
        db.close();
      }
    } catch (error) {
      return [
        {
          check,
          severity: 'error',
          message: `${file} cannot be opened (${(error as Error).message})`,
          fix: 'Check the path in GATEHOUSE_DATABASE_URL and the file’s owner and mode.',
        },
      ];
    }
  }
  const database = openDatabase(config.databaseUrl);
  try {
    try {
      await within(timeoutMs, sql`select 1`.execute(database.db), 'PostgreSQL');
    } catch (error) {
      const shown = config.databaseUrl.replace(/\/\/[^@/]*@/, '//***@');
      return [
        {
          check,
          severity: 'error',
          message: `${shown} is not reachable (${(error as Error).message})`,
          fix: 'Check host, port, user and password in GATEHOUSE_DATABASE_URL, and that PostgreSQL accepts this machine.',
        },
      ];
    }
    const findings = migrationFindings(check, await appliedMigrations(database.db));
    const offset = await measureDatabaseOffsetSeconds(database.db, database.dialect, clock);
    if (offset !== null && Math.abs(offset) > CODE_WINDOW_SECONDS)
      findings.push({
        check: 'clock',
        severity: config.allowClockSkew ? 'warning' : 'error',
        message: `this machine's clock is ${describeError(offset)} of the database server's: codes from phones would be refused`,
        fix: 'Run NTP (systemd-timesyncd, chrony) on both machines; GATEHOUSE_ALLOW_CLOCK_SKEW=1 only starts it anyway.',
      });
    else if (offset !== null && Math.abs(offset) > CODE_WINDOW_SECONDS / 4)
      findings.push({
        check: 'clock',
        severity: 'warning',
        message: `this machine's clock is ${describeError(offset)} of the database server's`,
        fix: 'Run NTP on both machines.',
      });
    else if (offset !== null) findings.push(ok('clock', `within ${Math.abs(offset).toFixed(1)} s of the database server's`));
    return findings;
  } finally {
    await database.close();
  }
};

export const checkSmtp: DoctorCheck = async ({ config, timeoutMs }) => {
  const check = 'SMTP';
  if (!config.smtpUrl) return [ok(check, 'not configured: mail is written to data/outbox/')];
  const shown = config.smtpUrl.replace(/\/\/[^@/]*@/, '//***@');
  try {
    await within(timeoutMs + 1000, verifySmtp(config.smtpUrl, timeoutMs), 'the mail server');
    return [ok(check, `${shown} answers and accepts the login`)];
  } catch (error) {
    return [
      {
        check,
        severity: 'error',
        message: `${shown} does not work (${(error as Error).message.replace(/\/\/[^@/]*@/g, '//***@')})`,
        fix: 'Check host, port, user and password in GATEHOUSE_SMTP_URL (smtps:// for port 465, smtp:// with STARTTLS for 587).',
      },
    ];
  }
};

/**
 * The directory (GATEHOUSE_LDAP_*), when one is configured: the seam the directory module fills
 * (`DIRECTORY_CHECKS.push(check)` from its wiring); until then, there is nothing to check.
 */
export const DIRECTORY_CHECKS: DoctorCheck[] = [];

export const CHECKS: readonly DoctorCheck[] = [checkPublicUrl, checkTrustedProxies, checkKeyFile, checkDatabase, checkSmtp];

/** Runs every check; a configuration that does not load is the one finding. */
export async function runDoctor(
  load: () => Config,
  options: { clock?: () => number; timeoutMs?: number; checks?: readonly DoctorCheck[] } = {},
): Promise<Finding[]> {
  let config: Config;
  try {
    config = load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [{ check: 'configuration', severity: 'error', message: error.message, fix: 'Gatehouse refuses to start until it is fixed.' }];
  }
  const ctx: DoctorContext = { config, clock: options.clock ?? Date.now, timeoutMs: options.timeoutMs ?? 5000 };
  const findings: Finding[] = [];
  for (const check of options.checks ?? [...CHECKS, ...DIRECTORY_CHECKS]) findings.push(...(await check(ctx)));
  return findings;
}

const MARK: Record<Severity, string> = { error: 'ERROR', warning: 'WARN ', ok: 'ok   ' };

export function formatFindings(findings: readonly Finding[]): string {
  const lines = findings.map((f) => `${MARK[f.severity]} ${f.check}: ${f.message}${f.fix ? `\n      fix: ${f.fix}` : ''}`);
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  lines.push(
    errors > 0 ? `${errors} error(s), ${warnings} warning(s): fix the errors before starting.` : `No errors${warnings ? `, ${warnings} warning(s)` : ''}.`,
  );
  return `${lines.join('\n')}\n`;
}
