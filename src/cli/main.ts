// The `gatehouse` command. It reads the same configuration as the server and calls the same
// services. Bad input: one line naming the problem on stderr, a non-zero exit, nothing written.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { MaintenanceError, backupDatabase, restoreDatabase, rotateKey } from './maintenance.js';
import { KeyFileError } from '../crypto/encryption-key.js';
import { WrongKeyError } from '../crypto/keyring.js';
import { bootstrap, loadDotEnv } from '../bootstrap.js';
import { AppError } from '../http/errors.js';
import type { Services } from '../services.js';
import { createUser, unlockUser } from '../modules/users/users.service.js';
import { findUserByEmail } from '../modules/users/users.repository.js';
import { TwoFactorService } from '../modules/two-factor/two-factor.service.js';
import { PASSWORD_MAX_LENGTH } from '../modules/passwords/password-policy.js';
import { ClockSkewError } from '../modules/clock-health/startup-check.js';

export class UsageError extends Error {}

const USAGE = `Usage: gatehouse <command>
  serve                                                        run the server
  migrate                                                      apply pending database migrations
  user create --email E --role admin|user --password-stdin     create a user (prints its id)
  user disable-2fa --email E                                   turn 2FA off for an account
  user unlock --email E                                        lift a lockout
  backup --to FILE                                             consistent online copy of the SQLite database
  restore --from FILE                                          replace the SQLite database with a backup (server stopped)
  rotate-key --old-key-stdin                                   re-encrypt secrets under the new GATEHOUSE_ENCRYPTION_KEY`;

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('this reads from standard input; pipe it in');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline (from echo) is not part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function emailOption(args: string[]): string {
  const { values } = parseArgs({ args, options: { email: { type: 'string' } }, strict: true });
  if (!values.email) throw new UsageError('--email is required');
  return values.email;
}

async function withServices<T>(work: (s: Services) => Promise<T>): Promise<T> {
  const s = await bootstrap({ log: (m) => process.stderr.write(`${m}\n`) });
  try {
    return await work(s);
  } finally {
    await s.database.close();
  }
}

async function requireUserByEmail(s: Services, email: string) {
  const user = await findUserByEmail(s.db, email);
  if (!user) throw new UsageError(`no user with email ${email.trim().toLowerCase()}`);
  return user;
}

async function userCommand(sub: string | undefined, args: string[]): Promise<void> {
  switch (sub) {
    case 'create': {
      const { values } = parseArgs({ args, options: { email: { type: 'string' }, role: { type: 'string' }, 'password-stdin': { type: 'boolean' } }, strict: true });
      if (!values.email) throw new UsageError('--email is required');
      if (values.role !== 'admin' && values.role !== 'user') throw new UsageError(`--role must be admin or user${values.role ? ` (got "${values.role}")` : ''}`);
      if (!values['password-stdin']) throw new UsageError('--password-stdin is required: pipe the password in, never put it on the command line');
      if (!/^\s*[^\s@]+@[^\s@]+\s*$/.test(values.email)) throw new UsageError(`"${values.email}" is not an email address`);
      const password = await readStdin();
      if (password.length > PASSWORD_MAX_LENGTH) throw new UsageError(`the password must have at most ${PASSWORD_MAX_LENGTH} characters`);
      const role = values.role;
      const user = await withServices((s) => createUser(s, { email: values.email!, password, role }, null, null));
      process.stdout.write(`${user.id}\n`);
      return;
    }
    case 'disable-2fa': {
      const email = emailOption(args);
      await withServices(async (s) => {
        const user = await requireUserByEmail(s, email);
        await new TwoFactorService(s).disable({ id: user.id, email: user.email }, null, null, 'cli');
      });
      process.stdout.write(`Two-factor authentication is off for ${email.trim().toLowerCase()}.\n`);
      return;
    }
    case 'unlock': {
      const email = emailOption(args);
      await withServices(async (s) => unlockUser(s, await requireUserByEmail(s, email), null, null));
      process.stdout.write(`${email.trim().toLowerCase()} is unlocked.\n`);
      return;
    }
    default:
      throw new UsageError(sub ? `unknown user command "${sub}"` : 'a user command is required (create, disable-2fa, unlock)');
  }
}

export async function runCli(argv: string[]): Promise<void> {
  loadDotEnv();
  const [command, sub, ...rest] = argv;
  switch (command) {
    case 'serve': {
      const { serve } = await import('../main.js');
      return serve();
    }
    case 'migrate':
      await withServices(async () => {});
      process.stdout.write('Migrations are up to date.\n');
      return;
    case 'user':
      return userCommand(sub, rest);
    case 'backup': {
      const { values } = parseArgs({ args: argv.slice(1), options: { to: { type: 'string' } }, strict: true });
      if (!values.to) throw new UsageError('--to FILE is required');
      await backupDatabase(loadConfig(), values.to);
      process.stdout.write(`Backed up to ${values.to}.\n`);
      return;
    }
    case 'restore': {
      const { values } = parseArgs({ args: argv.slice(1), options: { from: { type: 'string' } }, strict: true });
      if (!values.from) throw new UsageError('--from FILE is required');
      await restoreDatabase(loadConfig(), values.from);
      process.stdout.write(`Restored from ${values.from}.\n`);
      return;
    }
    case 'rotate-key': {
      const { values } = parseArgs({ args: argv.slice(1), options: { 'old-key-stdin': { type: 'boolean' } }, strict: true });
      if (!values['old-key-stdin']) throw new UsageError('--old-key-stdin is required: pipe the old key in');
      const oldKey = Buffer.from((await readStdin()).trim(), 'base64');
      if (oldKey.length !== 32) throw new UsageError('the old key must be 32 bytes in base64');
      const count = await rotateKey(loadConfig(), oldKey);
      process.stdout.write(`Re-encrypted ${count} two-factor secrets under the new key.\n`);
      return;
    }
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function describe(error: unknown): string {
  if (error instanceof UsageError || error instanceof ConfigError || error instanceof KeyFileError || error instanceof WrongKeyError || error instanceof MaintenanceError) return error.message;
  if (error instanceof AppError || error instanceof ClockSkewError) return error.message;
  const code = (error as { code?: string }).code;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return (error as Error).message;
  return `unexpected error: ${(error as Error).message ?? String(error)}`;
}

export function main(): void {
  runCli(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`gatehouse: ${describe(error)}\n`);
    process.exitCode = 1;
  });
}
