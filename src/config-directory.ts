// GATEHOUSE_LDAP_*: the directory Gatehouse takes accounts, passwords and groups from (issue 30).
// Read by config.ts (the only reader of process.env) at start-up: a bad value stops the program
// before it listens, with the variable and the fix. Presets fill in the usual attributes of
// OpenLDAP, Active Directory and FreeIPA; every one can be set on its own.
import fs from 'node:fs';
import { FilterParser } from 'ldapts';
import { ConfigError } from './config-error.js';

export type DirectoryPreset = 'openldap' | 'active_directory' | 'freeipa';
/** off: direct members only; in_chain: AD's LDAP_MATCHING_RULE_IN_CHAIN; walk: Gatehouse follows groups of groups itself. */
export type NestedGroups = 'off' | 'in_chain' | 'walk';

export interface DirectoryConfig {
  /** ldap://host[:port] or ldaps://host[:port] */
  readonly url: string;
  readonly bindDn: string;
  /** Read from GATEHOUSE_LDAP_BIND_PASSWORD_FILE; never logged. */
  readonly bindPassword: string;
  readonly baseDn: string;
  readonly preset: DirectoryPreset;
  /** Which entries are people (RFC 4515 text, checked at start). */
  readonly userFilter: string;
  readonly mailAttribute: string;
  readonly nameAttribute: string;
  /** The directory's unique, never-reused id: entryUUID, objectGUID (binary), ipaUniqueID. */
  readonly idAttribute: string;
  /** What a person may type instead of the email (uid; sAMAccountName and userPrincipalName). */
  readonly loginAttributes: readonly string[];
  readonly groupBaseDn: string;
  readonly groupFilter: string;
  /** member / uniqueMember (hold DNs) or memberUid (holds login names). */
  readonly memberAttribute: string;
  readonly groupNameAttribute: string;
  readonly nestedGroups: NestedGroups;
  /** PEM of the CA that signed the directory's certificate; null: the system's CAs. */
  readonly ca: Buffer | null;
  readonly startTls: boolean;
  /** Every connection, bind and search is bounded by this. */
  readonly timeoutMs: number;
  /** Seconds between periodic syncs; 0: no periodic sync. */
  readonly syncIntervalSeconds: number;
  /** Connections kept open for the service account's searches. */
  readonly poolSize: number;
  /** Where people change their directory password (shown by the UI); null: no link. */
  readonly passwordUrl: string | null;
  /**
   * The directory's own lockout threshold (ppolicy pwdMaxFailure, AD's lockout threshold); 0:
   * not given. Set, Gatehouse stops binding for a person whose consecutive failures reach one below it.
   */
  readonly lockoutThreshold: number;
  /** GATEHOUSE_LDAP_PASSWORD_MODIFY=1: people change their directory password here (RFC 3062, bound as themselves). */
  readonly passwordModify: boolean;
}

type Env = Record<string, string | undefined>;

const PRESETS: Record<
  DirectoryPreset,
  Omit<
    DirectoryConfig,
    | 'url'
    | 'bindDn'
    | 'bindPassword'
    | 'baseDn'
    | 'preset'
    | 'groupBaseDn'
    | 'ca'
    | 'startTls'
    | 'timeoutMs'
    | 'syncIntervalSeconds'
    | 'poolSize'
    | 'passwordUrl'
    | 'lockoutThreshold'
    | 'passwordModify'
  >
> = {
  openldap: {
    userFilter: '(objectClass=inetOrgPerson)',
    mailAttribute: 'mail',
    nameAttribute: 'cn',
    idAttribute: 'entryUUID',
    loginAttributes: ['uid'],
    groupFilter: '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))',
    memberAttribute: 'member',
    groupNameAttribute: 'cn',
    nestedGroups: 'walk',
  },
  active_directory: {
    userFilter: '(&(objectClass=user)(!(objectClass=computer)))',
    mailAttribute: 'mail',
    nameAttribute: 'displayName',
    idAttribute: 'objectGUID',
    loginAttributes: ['sAMAccountName', 'userPrincipalName'],
    groupFilter: '(objectClass=group)',
    memberAttribute: 'member',
    groupNameAttribute: 'cn',
    nestedGroups: 'in_chain',
  },
  freeipa: {
    userFilter: '(objectClass=inetOrgPerson)',
    mailAttribute: 'mail',
    nameAttribute: 'displayName',
    idAttribute: 'ipaUniqueID',
    loginAttributes: ['uid'],
    groupFilter: '(objectClass=groupOfNames)',
    memberAttribute: 'member',
    groupNameAttribute: 'cn',
    nestedGroups: 'walk',
  },
};

const ATTRIBUTE = /^[A-Za-z][A-Za-z0-9-]*$/;

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function attribute(env: Env, name: string, fallback: string): string {
  const value = text(env, name) ?? fallback;
  if (!ATTRIBUTE.test(value)) throw new ConfigError(name, `"${value}" is not an attribute name`, 'Use a name like mail, uid or sAMAccountName.');
  return value;
}

function filter(env: Env, name: string, fallback: string): string {
  const value = text(env, name) ?? fallback;
  try {
    FilterParser.parseString(value);
  } catch (error) {
    throw new ConfigError(
      name,
      `"${value}" is not an LDAP filter (${(error as Error).message})`,
      'Write it as in RFC 4515, in parentheses: (objectClass=inetOrgPerson).',
    );
  }
  return value;
}

function whole(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max)
    throw new ConfigError(name, `"${raw}" is out of range`, `Set it to a whole number from ${min} to ${max}.`);
  return value;
}

function dn(env: Env, name: string, fallback?: string): string {
  const value = text(env, name) ?? fallback;
  if (value === undefined) throw new ConfigError(name, 'is required with GATEHOUSE_LDAP_URL', 'Set it to a DN like dc=example,dc=org.');
  if (!/^[^=,]+=[^,]+(,[^=,]+=[^,]*)*$/.test(value)) throw new ConfigError(name, `"${value}" is not a DN`, 'Set it to a DN like dc=example,dc=org.');
  return value;
}

function readFile(name: string, file: string | undefined, what: string): string {
  if (file === undefined) throw new ConfigError(name, 'is required with GATEHOUSE_LDAP_URL', `Name a file that holds ${what} (mode 0600).`);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(name, `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, `Name a readable file that holds ${what}.`);
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}

/** null when GATEHOUSE_LDAP_URL is unset: local accounts only. */
export function parseDirectoryConfig(env: Env): DirectoryConfig | null {
  const rawUrl = text(env, 'GATEHOUSE_LDAP_URL');
  if (rawUrl === undefined) return null;
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new ConfigError('GATEHOUSE_LDAP_URL', `"${rawUrl}" is not an address`, 'Use ldaps://ldap.example.com or ldap://ldap.example.com (with StartTLS).');
  }
  if ((url.protocol !== 'ldap:' && url.protocol !== 'ldaps:') || url.hostname === '' || (url.pathname !== '' && url.pathname !== '/') || url.username !== '') {
    throw new ConfigError(
      'GATEHOUSE_LDAP_URL',
      `"${rawUrl}" is not an ldap:// or ldaps:// server address`,
      'Use ldaps://ldap.example.com or ldap://ldap.example.com:389.',
    );
  }
  const presetName = text(env, 'GATEHOUSE_LDAP_PRESET') ?? 'openldap';
  if (!(presetName in PRESETS)) throw new ConfigError('GATEHOUSE_LDAP_PRESET', `"${presetName}" is not a preset`, 'Use openldap, active_directory or freeipa.');
  const preset = presetName as DirectoryPreset;
  const p = PRESETS[preset];
  const startTlsRaw = text(env, 'GATEHOUSE_LDAP_STARTTLS');
  if (startTlsRaw !== undefined && startTlsRaw !== '0' && startTlsRaw !== '1')
    throw new ConfigError('GATEHOUSE_LDAP_STARTTLS', `"${startTlsRaw}" is neither 1 nor 0`, 'Set it to 1 (the default for ldap://) or 0.');
  const startTls = url.protocol === 'ldap:' && startTlsRaw !== '0';
  // Passwords cross this connection: in the clear only to a directory on this machine.
  if (url.protocol === 'ldap:' && !startTls && !isLoopback(url.hostname)) {
    throw new ConfigError(
      'GATEHOUSE_LDAP_STARTTLS',
      `is 0 for ${url.hostname}, which would send passwords in the clear`,
      'Use ldaps://, or leave StartTLS on (1).',
    );
  }
  const caFile = text(env, 'GATEHOUSE_LDAP_CA_FILE');
  const ca = caFile === undefined ? null : Buffer.from(readFile('GATEHOUSE_LDAP_CA_FILE', caFile, 'the CA certificate (PEM)'));
  if (ca !== null && !ca.toString().includes('-----BEGIN CERTIFICATE-----'))
    throw new ConfigError(
      'GATEHOUSE_LDAP_CA_FILE',
      `${caFile} holds no PEM certificate`,
      "Name the PEM file of the CA that signed the directory's certificate.",
    );
  const bindPassword = readFile('GATEHOUSE_LDAP_BIND_PASSWORD_FILE', text(env, 'GATEHOUSE_LDAP_BIND_PASSWORD_FILE'), "the service account's password").replace(
    /\r?\n$/,
    '',
  );
  if (bindPassword === '')
    throw new ConfigError(
      'GATEHOUSE_LDAP_BIND_PASSWORD_FILE',
      'is empty (an empty password is an anonymous bind)',
      "Put the service account's password in it.",
    );
  const member = attribute(env, 'GATEHOUSE_LDAP_MEMBER_ATTRIBUTE', p.memberAttribute);
  const nested = text(env, 'GATEHOUSE_LDAP_NESTED_GROUPS') ?? (member.toLowerCase() === 'memberuid' ? 'off' : p.nestedGroups);
  if (nested !== 'off' && nested !== 'in_chain' && nested !== 'walk')
    throw new ConfigError(
      'GATEHOUSE_LDAP_NESTED_GROUPS',
      `"${nested}" is not a way`,
      'Use off, walk (Gatehouse follows groups of groups) or in_chain (Active Directory).',
    );
  if (nested !== 'off' && member.toLowerCase() === 'memberuid')
    throw new ConfigError('GATEHOUSE_LDAP_NESTED_GROUPS', 'cannot follow memberUid groups (they hold names, not groups)', 'Set it to off, or use member.');
  const interval = whole(env, 'GATEHOUSE_LDAP_SYNC_INTERVAL', 900, 0, 86_400);
  if (interval !== 0 && interval < 60)
    throw new ConfigError('GATEHOUSE_LDAP_SYNC_INTERVAL', `${interval} s is too often`, 'Set it to 0 (no periodic sync) or 60 to 86400 seconds.');
  const passwordUrl = text(env, 'GATEHOUSE_LDAP_PASSWORD_URL') ?? null;
  if (passwordUrl !== null && !/^https?:\/\/\S+$/.test(passwordUrl))
    throw new ConfigError(
      'GATEHOUSE_LDAP_PASSWORD_URL',
      `"${passwordUrl}" is not an http(s) address`,
      'Use the address of the page where people change their directory password.',
    );
  const baseDn = dn(env, 'GATEHOUSE_LDAP_BASE_DN');
  const logins = (text(env, 'GATEHOUSE_LDAP_LOGIN_ATTRIBUTE') ?? p.loginAttributes.join(','))
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  for (const a of logins)
    if (!ATTRIBUTE.test(a))
      throw new ConfigError(
        'GATEHOUSE_LDAP_LOGIN_ATTRIBUTE',
        `"${a}" is not an attribute name`,
        'List attribute names, like uid or sAMAccountName,userPrincipalName.',
      );
  return Object.freeze({
    url: `${url.protocol}//${url.host}`,
    bindDn: dn(env, 'GATEHOUSE_LDAP_BIND_DN'),
    bindPassword,
    baseDn,
    preset,
    userFilter: filter(env, 'GATEHOUSE_LDAP_USER_FILTER', p.userFilter),
    mailAttribute: attribute(env, 'GATEHOUSE_LDAP_MAIL_ATTRIBUTE', p.mailAttribute),
    nameAttribute: attribute(env, 'GATEHOUSE_LDAP_NAME_ATTRIBUTE', p.nameAttribute),
    idAttribute: attribute(env, 'GATEHOUSE_LDAP_ID_ATTRIBUTE', p.idAttribute),
    loginAttributes: Object.freeze(logins),
    groupBaseDn: dn(env, 'GATEHOUSE_LDAP_GROUP_BASE_DN', baseDn),
    groupFilter: filter(env, 'GATEHOUSE_LDAP_GROUP_FILTER', p.groupFilter),
    memberAttribute: member,
    groupNameAttribute: attribute(env, 'GATEHOUSE_LDAP_GROUP_NAME_ATTRIBUTE', p.groupNameAttribute),
    nestedGroups: nested,
    ca,
    startTls,
    timeoutMs: whole(env, 'GATEHOUSE_LDAP_TIMEOUT_MS', 5000, 100, 60_000),
    syncIntervalSeconds: interval,
    poolSize: whole(env, 'GATEHOUSE_LDAP_POOL_SIZE', 4, 1, 32),
    passwordUrl,
    lockoutThreshold: whole(env, 'GATEHOUSE_LDAP_LOCKOUT_THRESHOLD', 0, 0, 1000),
    passwordModify: whole(env, 'GATEHOUSE_LDAP_PASSWORD_MODIFY', 0, 0, 1) === 1,
  });
}
