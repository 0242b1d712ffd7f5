// The `gatehouse` command. It reads the same configuration as the server and calls the same
// services. Bad input: one line naming the problem on stderr, a non-zero exit, nothing written.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { MaintenanceError, rotateKey } from './maintenance.js';
import { formatFindings, runDoctor } from './doctor.js';
import { backupDatabase, restoreDatabase, verifyBackup, type BackupInfo } from './backup.js';
import { KeyFileError } from '../key-file.js';
import { SchemaTooNewError } from '../db/migrate.js';
import { WrongKeyError } from '../crypto/keyring.js';
import { bootstrap, loadDotEnv } from '../bootstrap.js';
import { AppError } from '../http/errors.js';
import type { Services } from '../services.js';
import { PASSWORD_MAX_LENGTH } from '../modules/passwords/index.js';
import { normalizeEmail } from '../modules/users/index.js';
import { ClockSkewError } from '../modules/clock-health/index.js';
import { STRENGTHS, type Strength } from '../core/session-strength.js';
import type { AccessRule } from '../shared/api-types.js';
import { DirectoryCommandError, directoryCommand } from './directory.js';
import { UpstreamCommandError, upstreamCommand } from './upstream.js';

export class UsageError extends Error {}

const USAGE = `Usage: gatehouse <command>
  serve                                                        run the server
  migrate                                                      apply pending database migrations
  user create --email E --role admin|user --password-stdin     create a user (prints its id)
  user invite EMAIL [--group G]... [--role admin|user] [--require-2fa] [--locale en|es] [--name N]
                                                               invite someone by mail; prints the link too (for installs without SMTP)
  setup-link                                                   print a new first-run setup link (only while there is no user)
  user disable-2fa --email E                                   turn 2FA off for an account
  user unlock --email E                                        lift a lockout
  user unblock --email E                                       lift an administrator's block
  user delete --email E --yes                                  delete an account: sessions, grants, factors, memberships (the audit log keeps its events)
  backup --to FILE                                             consistent online copy of the SQLite database (schema and key fingerprint recorded)
  backup verify FILE                                           open a backup and check its integrity, schema and key
  restore --from FILE                                          restore the SQLite database from a backup (server stopped; an empty data folder is fine)
  doctor                                                       check the configuration before start: each problem with its fix
  rotate-key --old-key-stdin                                   re-encrypt secrets under the new GATEHOUSE_ENCRYPTION_KEY
  client create --name N --redirect-uri U [--redirect-uri U2] [--post-logout-redirect-uri U]
                [--public] [--require-2fa] [--trusted] [--legacy-no-pkce] [--group NAME] [--group NAME]...
                [--backchannel-logout-uri URL [--backchannel-logout-session-required]]
                                                               create an OpenID Connect application (prints its id and secret as JSON);
                                                               --group: only members of these groups may use it
  client update --id ID (--group NAME... | --everyone)         restrict an application to groups, or open it to everyone
  client update --id ID --backchannel-logout-uri URL | --no-backchannel-logout
                                                               where it hears that a Gatehouse session ended (OIDC Back-Channel Logout)
  client list                                                  list the applications (JSON, with their allowedGroups)
  client delete --id ID                                        delete an application and everything issued to it
  oidc rotate-keys                                             a new ID-token signing key (the old one stays published until its tokens expire)
  group create NAME                                            a new group (lowercase letters, digits, - and _)
  group add NAME EMAIL                                         add an account to a group
  group remove NAME EMAIL                                      take an account out of a group (from its next request)
  group list [--json]                                          the groups and their members
  group delete NAME                                            delete a group no rule or application names
  access add --host H [--path P] (--allow WHO... | --deny) [--factors password|two_factors|security_key] [--name N]
                                                               a forward-auth rule; WHO is anyone, group:NAME or user:EMAIL
  access list [--json]                                         the applications and their rules, in the order they are tried
  access remove ID                                             remove a rule, or an application with its rules
  access check --email E --url URL [--factors F] [--json]      can this person reach this address? the decision and why
  directory test [--user NAME]                                 check the LDAP connection, bind and filters; what one person resolves to
  directory sync [--dry-run]                                   follow the directory now: emails, groups, disabled → blocked (prints the changes)
  upstream add [--preset oidc|google|entra|gitlab|github] [--issuer URL] [--tenant T] --client-id ID --client-secret-stdin [--name N] [--trusted-mfa]
                                                               a provider to sign in with (discovery at once; prints it as JSON)
  upstream list                                                the upstream providers (JSON, never their secrets)
  upstream link --email E --id PROVIDER --subject SUB          link an account to a provider's subject by hand (the owner is mailed)
  upstream remove --id ID                                      remove a provider and every link to it (the accounts stay)`;

function describeBackup(info: BackupInfo): string {
  const made = info.createdAt ? `made ${info.createdAt}, ` : '';
  return `${made}schema ${info.schema} (${info.migrations} migrations)${info.keyFingerprint ? `, key fingerprint ${info.keyFingerprint}` : ''}`;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('this reads from standard input; pipe it in');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline (from echo) is not part of the password.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
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
    await s.directory?.close();
    await s.database.close();
  }
}

async function requireUserByEmail(s: Services, email: string) {
  const user = await s.users.findByEmail(email);
  if (!user) throw new UsageError(`no user with email ${normalizeEmail(email)}`);
  return user;
}

async function userCommand(sub: string | undefined, args: string[]): Promise<void> {
  switch (sub) {
    case 'create': {
      const { values } = parseArgs({
        args,
        options: { email: { type: 'string' }, role: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
        strict: true,
      });
      if (!values.email) throw new UsageError('--email is required');
      if (values.role !== 'admin' && values.role !== 'user')
        throw new UsageError(`--role must be admin or user${values.role ? ` (got "${values.role}")` : ''}`);
      if (!values['password-stdin']) throw new UsageError('--password-stdin is required: pipe the password in, never put it on the command line');
      if (!/^\s*[^\s@]+@[^\s@]+\s*$/.test(values.email)) throw new UsageError(`"${values.email}" is not an email address`);
      const password = await readStdin();
      if (password.length > PASSWORD_MAX_LENGTH) throw new UsageError(`the password must have at most ${PASSWORD_MAX_LENGTH} characters`);
      const role = values.role;
      const user = await withServices((s) => s.users.create({ email: values.email!, password, role }, 'cli', null));
      process.stdout.write(`${user.id}\n`);
      return;
    }
    case 'invite': {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: {
          group: { type: 'string', multiple: true },
          role: { type: 'string' },
          'require-2fa': { type: 'boolean' },
          locale: { type: 'string' },
          name: { type: 'string' },
        },
        strict: true,
      });
      if (positionals.length !== 1) throw new UsageError('user invite takes one EMAIL');
      const role = values.role ?? 'user';
      if (role !== 'admin' && role !== 'user') throw new UsageError(`--role must be admin or user (got "${role}")`);
      const locale = values.locale ?? 'en';
      if (locale !== 'en' && locale !== 'es') throw new UsageError(`--locale must be en or es (got "${locale}")`);
      const email = positionals[0]!;
      // One line of the list the admin page takes: the name quoted, so a comma in it stays in it.
      const line = values.name === undefined ? email : `${email},"${values.name.replace(/"/g, '""')}"`;
      const [sent] = await withServices((s) =>
        s.invitations.invite('cli', line, { groups: values.group ?? [], role, requireTwoFactor: values['require-2fa'] === true, locale }, null, true),
      );
      process.stdout.write(`Invited ${sent!.email}. The link (it works once):\n${sent!.link}\n`);
      return;
    }
    case 'disable-2fa': {
      const email = emailOption(args);
      await withServices(async (s) => {
        const user = await requireUserByEmail(s, email);
        await s.twoFactor.disable({ id: user.id, email: user.email }, 'cli', null, 'cli');
      });
      process.stdout.write(`Two-factor authentication is off for ${normalizeEmail(email)}; its sessions are ended.\n`);
      return;
    }
    case 'unlock': {
      const email = emailOption(args);
      await withServices(async (s) => s.users.unlock(await requireUserByEmail(s, email), 'cli', null));
      process.stdout.write(`${normalizeEmail(email)} is unlocked.\n`);
      return;
    }
    case 'unblock': {
      const email = emailOption(args);
      await withServices(async (s) => s.users.update(await requireUserByEmail(s, email), { blocked: false }, 'cli', null));
      process.stdout.write(`${normalizeEmail(email)} is unblocked: it can sign in again.\n`);
      return;
    }
    case 'delete': {
      // No step-up here (whoever runs this holds the server), but no deletion by a slip either: --yes says it is meant.
      const { values } = parseArgs({ args, options: { email: { type: 'string' }, yes: { type: 'boolean' } }, strict: true });
      if (!values.email) throw new UsageError('--email is required');
      if (!values.yes) throw new UsageError(`this deletes ${normalizeEmail(values.email)} for good: add --yes to confirm`);
      await withServices(async (s) => s.users.remove(await requireUserByEmail(s, values.email!), { confirmEmail: values.email!, by: 'cli' }, 'cli', null));
      process.stdout.write(`Deleted ${normalizeEmail(values.email)}: its sessions and grants ended, its factors and memberships are gone.\n`);
      return;
    }
    default:
      throw new UsageError(sub ? `unknown user command "${sub}"` : 'a user command is required (create, invite, disable-2fa, unlock, unblock, delete)');
  }
}

async function clientCommand(sub: string | undefined, args: string[]): Promise<void> {
  switch (sub) {
    case 'create': {
      const { values } = parseArgs({
        args,
        options: {
          name: { type: 'string' },
          'redirect-uri': { type: 'string', multiple: true },
          'post-logout-redirect-uri': { type: 'string', multiple: true },
          public: { type: 'boolean' },
          'require-2fa': { type: 'boolean' },
          trusted: { type: 'boolean' },
          'legacy-no-pkce': { type: 'boolean' },
          group: { type: 'string', multiple: true },
          'backchannel-logout-uri': { type: 'string' },
          'backchannel-logout-session-required': { type: 'boolean' },
        },
        strict: true,
      });
      if (!values.name) throw new UsageError('--name is required');
      if (!values['redirect-uri']?.length) throw new UsageError('--redirect-uri is required (the exact address the application receives the code at)');
      const created = await withServices((s) =>
        s.clients.create(
          {
            name: values.name!,
            redirectUris: values['redirect-uri']!,
            postLogoutRedirectUris: values['post-logout-redirect-uri'] ?? [],
            public: values.public ?? false,
            require2fa: values['require-2fa'] ?? false,
            trusted: values.trusted ?? false,
            legacyNoPkce: values['legacy-no-pkce'] ?? false,
            allowedGroups: values.group ?? [],
            ...(values['backchannel-logout-uri'] === undefined ? {} : { backchannelLogoutUri: values['backchannel-logout-uri'] }),
            backchannelLogoutSessionRequired: values['backchannel-logout-session-required'] ?? false,
          },
          null,
          null,
        ),
      );
      // The secret is shown this once; it is stored encrypted.
      process.stdout.write(`${JSON.stringify({ client_id: created.client_id, ...(created.client_secret ? { client_secret: created.client_secret } : {}) })}\n`);
      return;
    }
    case 'list':
      parseArgs({ args, options: {}, strict: true });
      process.stdout.write(`${JSON.stringify(await withServices((s) => s.clients.list()), null, 2)}\n`);
      return;
    case 'update': {
      const { values } = parseArgs({
        args,
        options: {
          id: { type: 'string' },
          group: { type: 'string', multiple: true },
          everyone: { type: 'boolean' },
          'backchannel-logout-uri': { type: 'string' },
          'no-backchannel-logout': { type: 'boolean' },
          'backchannel-logout-session-required': { type: 'boolean' },
        },
        strict: true,
      });
      if (!values.id) throw new UsageError('--id is required');
      const groups = values.group ?? [];
      const logoutUri = values['no-backchannel-logout'] ? null : values['backchannel-logout-uri'];
      const logoutChange = logoutUri !== undefined || values['backchannel-logout-session-required'] !== undefined;
      if (values['no-backchannel-logout'] && values['backchannel-logout-uri'] !== undefined)
        throw new UsageError('--backchannel-logout-uri and --no-backchannel-logout exclude each other');
      if (groups.length === 0 && !values.everyone && !logoutChange)
        throw new UsageError('--group NAME (repeatable) or --everyone is required (or --backchannel-logout-uri URL / --no-backchannel-logout)');
      if (groups.length > 0 && values.everyone) throw new UsageError('--group and --everyone exclude each other');
      const change = {
        ...(groups.length > 0 || values.everyone ? { allowedGroups: groups } : {}),
        ...(logoutUri === undefined ? {} : { backchannelLogoutUri: logoutUri }),
        ...(values['backchannel-logout-session-required'] === undefined
          ? {}
          : { backchannelLogoutSessionRequired: values['backchannel-logout-session-required'] }),
      };
      const updated = await withServices((s) => s.clients.update(values.id!, change, null, null));
      if (change.allowedGroups !== undefined)
        process.stdout.write(
          updated.allowedGroups.length > 0
            ? `Application ${updated.id} is open to the groups ${updated.allowedGroups.join(', ')} only.\n`
            : `Application ${updated.id} is open to everyone who can sign in.\n`,
        );
      if (logoutChange)
        process.stdout.write(
          updated.backchannelLogoutUri
            ? `Application ${updated.id} hears back-channel logouts at ${updated.backchannelLogoutUri}.\n`
            : `Application ${updated.id} gets no back-channel logouts.\n`,
        );
      return;
    }
    case 'delete': {
      const { values } = parseArgs({ args, options: { id: { type: 'string' } }, strict: true });
      if (!values.id) throw new UsageError('--id is required');
      await withServices((s) => s.clients.delete(values.id!, null, null));
      process.stdout.write(`Deleted application ${values.id}.\n`);
      return;
    }
    default:
      throw new UsageError(sub ? `unknown client command "${sub}"` : 'a client command is required (create, update, list, delete)');
  }
}

async function requireGroup(s: Services, name: string) {
  const group = await s.groups.findByName(name);
  if (!group) throw new UsageError(`no group named ${name}`);
  return group;
}

/** Exactly `count` positional arguments, named for the error. */
function positionals(args: string[], names: string[], options: Record<string, { type: 'boolean' }> = {}) {
  const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  if (parsed.positionals.length !== names.length)
    throw new UsageError(`expected ${names.join(' ')}${parsed.positionals.length > names.length ? ` (got ${parsed.positionals.length} arguments)` : ''}`);
  return { values: parsed.values, positionals: parsed.positionals };
}

async function groupCommand(sub: string | undefined, args: string[]): Promise<void> {
  switch (sub) {
    case 'create': {
      const [name] = positionals(args, ['NAME']).positionals;
      await withServices((s) => s.groups.create(name!, 'cli', null));
      process.stdout.write(`Created the group ${name}.\n`);
      return;
    }
    case 'add':
    case 'remove': {
      const [name, email] = positionals(args, ['NAME', 'EMAIL']).positionals;
      const changed = await withServices(async (s) => {
        const group = await requireGroup(s, name!);
        const user = await requireUserByEmail(s, email!);
        return sub === 'add' ? s.groups.addMember(group.id, user.id, 'cli', null) : s.groups.removeMember(group.id, user.id, 'cli', null);
      });
      const who = normalizeEmail(email!);
      if (sub === 'add') process.stdout.write(changed ? `Added ${who} to ${name}.\n` : `${who} already is in ${name}.\n`);
      else if (changed) process.stdout.write(`Removed ${who} from ${name}; it counts from their next request.\n`);
      else throw new UsageError(`${who} is not in ${name}`);
      return;
    }
    case 'list': {
      const { values } = positionals(args, [], { json: { type: 'boolean' } });
      const groups = await withServices(async (s) => Promise.all((await s.groups.list()).map((g) => s.groups.get(g.id))));
      if (values.json)
        process.stdout.write(
          `${JSON.stringify(
            groups.map((g) => ({ id: g.id, name: g.name, members: g.members.map((m) => m.email) })),
            null,
            2,
          )}\n`,
        );
      else if (groups.length === 0) process.stdout.write('No groups.\n');
      else for (const g of groups) process.stdout.write(`${g.name}: ${g.members.map((m) => m.email).join(', ') || '(no members)'}\n`);
      return;
    }
    case 'delete': {
      const [name] = positionals(args, ['NAME']).positionals;
      await withServices(async (s) => s.groups.delete((await requireGroup(s, name!)).id, 'cli', null));
      process.stdout.write(`Deleted the group ${name}.\n`);
      return;
    }
    default:
      throw new UsageError(sub ? `unknown group command "${sub}"` : 'a group command is required (create, add, remove, list, delete)');
  }
}

function describeRule(rule: AccessRule): string {
  const who = rule.effect === 'deny' ? 'deny everyone' : `allow ${rule.who.join(' ')} with ${rule.factors}`;
  return `${rule.id}  ${rule.path}  ${who}`;
}

async function accessCommand(sub: string | undefined, args: string[]): Promise<void> {
  switch (sub) {
    case 'add': {
      const { values, positionals: extra } = parseArgs({
        args,
        options: {
          host: { type: 'string' },
          path: { type: 'string' },
          allow: { type: 'string', multiple: true },
          deny: { type: 'boolean' },
          factors: { type: 'string' },
          name: { type: 'string' },
        },
        // `--allow group:family user:bob@example.com`: the words after --allow are more of them.
        allowPositionals: true,
        strict: true,
      });
      if (!values.host) throw new UsageError('--host is required');
      const allow = values.allow ? [...values.allow, ...extra] : undefined;
      if (!values.allow && extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
      const rule = await withServices((s) =>
        s.accessRules.addRule({ host: values.host!, path: values.path, allow, deny: values.deny, factors: values.factors, name: values.name }, 'cli', null),
      );
      process.stdout.write(
        `Added rule ${rule.id}: ${rule.host}${rule.path === '/' ? '' : rule.path} — ${describeRule(rule).split('  ').slice(2).join('  ')}.\n`,
      );
      return;
    }
    case 'list': {
      const { values } = positionals(args, [], { json: { type: 'boolean' } });
      const { applications, defaults } = await withServices(async (s) => ({
        applications: await s.accessRules.list(),
        defaults: await s.accessPolicy.defaults(),
      }));
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ ...defaults, applications }, null, 2)}\n`);
        return;
      }
      const from = defaults.defaultFrom === 'environment' ? 'GATEHOUSE_ACCESS_DEFAULT' : 'chosen at install';
      process.stdout.write(`Hosts no application names: ${defaults.default} (${from}).\n`);
      for (const application of applications) {
        process.stdout.write(`\n${application.name} — ${application.host} (${application.id})\n`);
        if (application.rules.length === 0) process.stdout.write('  no rules: everything on it is refused\n');
        for (const rule of application.rules) process.stdout.write(`  ${describeRule(rule)}\n`);
      }
      return;
    }
    case 'remove': {
      const [id] = positionals(args, ['ID']).positionals;
      const removed = await withServices((s) => s.accessRules.remove(id!, 'cli', null));
      process.stdout.write(removed === 'rule' ? `Removed rule ${id}.\n` : `Removed application ${id} and its rules.\n`);
      return;
    }
    case 'check': {
      const { values } = parseArgs({
        args,
        options: { email: { type: 'string' }, url: { type: 'string' }, factors: { type: 'string' }, json: { type: 'boolean' } },
        strict: true,
      });
      if (!values.email) throw new UsageError('--email is required');
      if (!values.url) throw new UsageError('--url is required');
      const factors = values.factors ?? 'password';
      if (!(STRENGTHS as readonly string[]).includes(factors)) throw new UsageError(`--factors must be one of ${STRENGTHS.join(', ')} (got "${factors}")`);
      const check = await withServices((s) => s.accessPolicy.check({ email: values.email!, url: values.url!, factors: factors as Strength }));
      if (values.json) process.stdout.write(`${JSON.stringify(check, null, 2)}\n`);
      else {
        const verdict = check.outcome === 'allow' ? 'ALLOWED' : check.outcome === 'step_up' ? 'STEP UP' : 'REFUSED';
        // "Refused: the rule…" reads "REFUSED: the rule…": the verdict already says it.
        const because = check.explanation.replace(/^(?:Refused|Allowed): (.)/, (_, first: string) => first.toLowerCase());
        process.stdout.write(`${verdict}: ${because}\n`);
        if (check.rule) process.stdout.write(`Rule: ${check.rule.host} ${describeRule(check.rule)}\n`);
        process.stdout.write(`Groups: ${check.groups.join(', ') || '(none)'}\n`);
      }
      return;
    }
    default:
      throw new UsageError(sub ? `unknown access command "${sub}"` : 'an access command is required (add, list, remove, check)');
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
    case 'setup-link': {
      const issued = await withServices((s) => s.setup.issueLink());
      if (!issued) throw new UsageError('Gatehouse already has users: sign in, or create one with "gatehouse user create"');
      process.stdout.write(`${issued.link}\n(it works once, until ${new Date(issued.expiresAt).toISOString()})\n`);
      return;
    }
    case 'migrate':
      await withServices(async () => {});
      process.stdout.write('Migrations are up to date.\n');
      return;
    case 'user':
      return userCommand(sub, rest);
    case 'client':
      return clientCommand(sub, rest);
    case 'group':
      return groupCommand(sub, rest);
    case 'access':
      return accessCommand(sub, rest);
    case 'directory':
      return directoryCommand(sub, rest, withServices, (text) => process.stdout.write(text));
    case 'upstream':
      return upstreamCommand(sub, rest, withServices, readStdin, (text) => process.stdout.write(text));
    case 'oidc': {
      if (sub !== 'rotate-keys') throw new UsageError(sub ? `unknown oidc command "${sub}"` : 'an oidc command is required (rotate-keys)');
      parseArgs({ args: rest, options: {}, strict: true });
      const kid = await withServices((s) => s.oidc.rotateKeys());
      process.stdout.write(`New signing key ${kid}; every instance uses it within seconds, and the old key stays published until its tokens expire.\n`);
      return;
    }
    case 'backup': {
      if (sub === 'verify') {
        const [file] = positionals(rest, ['FILE']).positionals;
        const info = verifyBackup(loadConfig(), file!);
        const key = info.keyMatches === null ? 'key not checked (no key here, or none recorded)' : "made with this installation's key";
        process.stdout.write(`${file} is sound: ${describeBackup(info)}; ${key}.\n`);
        return;
      }
      const { values } = parseArgs({ args: argv.slice(1), options: { to: { type: 'string' } }, strict: true });
      if (!values.to) throw new UsageError('--to FILE is required');
      const info = await backupDatabase(loadConfig(), values.to);
      process.stdout.write(`Backed up to ${values.to}: ${describeBackup(info)}. Keep the key apart from it.\n`);
      return;
    }
    case 'restore': {
      const { values } = parseArgs({ args: argv.slice(1), options: { from: { type: 'string' } }, strict: true });
      if (!values.from) throw new UsageError('--from FILE is required');
      const info = await restoreDatabase(loadConfig(), values.from);
      process.stdout.write(`Restored from ${values.from}: ${describeBackup(info)}.\n`);
      return;
    }
    case 'doctor': {
      parseArgs({ args: argv.slice(1), options: {}, strict: true });
      const findings = await runDoctor(() => loadConfig());
      process.stdout.write(formatFindings(findings));
      if (findings.some((f) => f.severity === 'error')) process.exitCode = 1;
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

/** The one line `gatehouse` prints for an error (exported for the in-process command tests). */
export function describeCliError(error: unknown): string {
  if (
    error instanceof UsageError ||
    error instanceof ConfigError ||
    error instanceof KeyFileError ||
    error instanceof WrongKeyError ||
    error instanceof MaintenanceError ||
    error instanceof DirectoryCommandError ||
    error instanceof UpstreamCommandError
  )
    return error.message;
  if (error instanceof AppError || error instanceof ClockSkewError || error instanceof SchemaTooNewError) return error.message;
  const code = (error as { code?: string }).code;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return (error as Error).message;
  return `unexpected error: ${(error as Error).message ?? String(error)}`;
}

export function main(): void {
  runCli(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`gatehouse: ${describeCliError(error)}\n`);
    process.exitCode = 1;
  });
}
