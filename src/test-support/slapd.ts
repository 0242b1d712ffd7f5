// A real OpenLDAP server (Debian's slapd) for the directory tests: its own slapd.conf and mdb
// database in a temporary folder, a loopback port picked free, ldap:// (with StartTLS) and
// ldaps:// on a certificate signed by a CA that `openssl` makes here, the ppolicy and memberof
// overlays, a tiny Active Directory-shaped schema, entries loaded with ldapadd. Started in the
// foreground (`-d 0`) so that stopping the test stops it. Missing slapd skips the test by name
// ("SKIPPED slapd: …") unless GATEHOUSE_TEST_REQUIRE_ALL=1.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REQUIRE_ALL } from './databases.js';
import { freePort } from './processes.js';

export const SLAPD = '/usr/sbin/slapd';
export const SUFFIX = 'dc=example,dc=org';
export const ADMIN_DN = `cn=admin,${SUFFIX}`;
export const ADMIN_PASSWORD = 'admin-secret-for-tests';
/** The service account Gatehouse binds as (read-only in the ACL). */
export const SERVICE_DN = `cn=gatehouse,ou=services,${SUFFIX}`;
export const SERVICE_PASSWORD = 'service-secret-for-tests';

const PRESENT = fs.existsSync(SLAPD) && hasCommand('ldapadd') && hasCommand('openssl');

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** For `describe(…, { skip: skipWithoutSlapd() })`: a reason, or undefined when slapd is here (or required). */
export function skipWithoutSlapd(): string | undefined {
  if (PRESENT) return undefined;
  if (REQUIRE_ALL) throw new Error('slapd, ldapadd and openssl are required here (GATEHOUSE_TEST_REQUIRE_ALL=1): apt-get install slapd ldap-utils');
  return 'SKIPPED slapd: /usr/sbin/slapd, ldapadd or openssl is missing (apt-get install slapd ldap-utils)';
}

// Active Directory's attributes under their own OIDs (MS-ADA1), as an auxiliary class named like
// AD's `user` (and `computer`, which the preset's filter names), so that the active_directory preset's filters run unchanged against slapd.
const AD_SCHEMA = `
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.656 NAME 'userPrincipalName' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.2 NAME 'objectGUID' EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
objectclass ( 1.2.840.113556.1.5.9 NAME 'user' AUXILIARY MAY ( sAMAccountName $ userPrincipalName $ userAccountControl $ objectGUID ) )
objectclass ( 1.2.840.113556.1.3.30 NAME 'computer' SUP user AUXILIARY )
`;

function config(dir: string, ppolicyDn: string): string {
  return `
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
include ${dir}/ad.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
moduleload memberof
pidfile ${dir}/slapd.pid
argsfile ${dir}/slapd.args
TLSCACertificateFile ${dir}/ca.pem
TLSCertificateFile ${dir}/server.pem
TLSCertificateKeyFile ${dir}/server.key
database mdb
maxsize 10485760
suffix "${SUFFIX}"
rootdn "${ADMIN_DN}"
rootpw ${ADMIN_PASSWORD}
directory ${dir}/db
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
overlay memberof
overlay ppolicy
ppolicy_default "${ppolicyDn}"
ppolicy_use_lockout
`;
}

export interface Slapd {
  readonly port: number;
  readonly tlsPort: number;
  /** ldap://127.0.0.1:port */
  readonly url: string;
  /** ldaps://localhost:tlsPort (the certificate names localhost and 127.0.0.1) */
  readonly tlsUrl: string;
  /** The CA that signed the server's certificate (PEM file). */
  readonly caFile: string;
  /** A file holding the service account's password (GATEHOUSE_LDAP_BIND_PASSWORD_FILE). */
  readonly servicePasswordFile: string;
  /** pwdMaxFailure of the default password policy. */
  readonly maxFailure: number;
  add(ldif: string): void;
  modify(ldif: string): void;
  delete(dn: string): void;
  /** Reads attributes of one entry as the administrator (operational ones included). */
  read(dn: string, attributes: string[]): Record<string, string[]>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: a directory that accepts connections and never answers. */
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

function makeCertificates(dir: string): void {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Gatehouse test CA']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext']);
}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`slapd exited (${child.exitCode}):\n${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`slapd did not listen on ${port}:\n${output()}`);
}

/** Starts slapd with the base tree, a service account and a password policy (pwdMaxFailure `maxFailure`). */
export async function startSlapd(options: { maxFailure?: number } = {}): Promise<Slapd> {
  const maxFailure = options.maxFailure ?? 4;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-slapd-'));
  fs.mkdirSync(path.join(dir, 'db'));
  fs.writeFileSync(path.join(dir, 'ad.schema'), AD_SCHEMA);
  makeCertificates(dir);
  const ppolicyDn = `cn=default,ou=policies,${SUFFIX}`;
  fs.writeFileSync(path.join(dir, 'slapd.conf'), config(dir, ppolicyDn));
  const servicePasswordFile = path.join(dir, 'service-password');
  fs.writeFileSync(servicePasswordFile, `${SERVICE_PASSWORD}\n`, { mode: 0o600 });
  const port = await freePort();
  const tlsPort = await freePort();
  let child: ChildProcess | null = null;
  let output = '';
  const ldapEnv = { ...process.env, LDAPTLS_CACERT: path.join(dir, 'ca.pem'), LDAPNOINIT: '1' };
  const ldapTool = (tool: string, args: string[], input?: string) =>
    execFileSync(tool, ['-x', '-H', `ldap://127.0.0.1:${port}`, '-D', ADMIN_DN, '-w', ADMIN_PASSWORD, ...args], {
      input,
      env: ldapEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    }).toString();

  const start = async () => {
    output = '';
    child = spawn(SLAPD, ['-d', '0', '-f', path.join(dir, 'slapd.conf'), '-h', `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${tlsPort}/`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await waitForPort(port, child, () => output);
    await waitForPort(tlsPort, child, () => output);
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  ldapTool(
    'ldapadd',
    [],
    `dn: ${SUFFIX}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,${SUFFIX}
objectClass: organizationalUnit
ou: people

dn: ou=groups,${SUFFIX}
objectClass: organizationalUnit
ou: groups

dn: ou=services,${SUFFIX}
objectClass: organizationalUnit
ou: services

dn: ou=policies,${SUFFIX}
objectClass: organizationalUnit
ou: policies

dn: ${SERVICE_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: gatehouse
userPassword: ${SERVICE_PASSWORD}

dn: ${ppolicyDn}
objectClass: organizationalRole
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
pwdMaxFailure: ${maxFailure}
pwdLockoutDuration: 0
pwdFailureCountInterval: 0
`,
  );
  return {
    port,
    tlsPort,
    url: `ldap://127.0.0.1:${port}`,
    tlsUrl: `ldaps://localhost:${tlsPort}`,
    caFile: path.join(dir, 'ca.pem'),
    servicePasswordFile,
    maxFailure,
    add: (ldif) => void ldapTool('ldapadd', [], ldif),
    modify: (ldif) => void ldapTool('ldapmodify', [], ldif),
    delete: (dn) => void ldapTool('ldapdelete', [dn]),
    read(dn, attributes) {
      const text = ldapTool('ldapsearch', ['-LLL', '-o', 'ldif-wrap=no', '-s', 'base', '-b', dn, '(objectClass=*)', ...attributes]);
      const found: Record<string, string[]> = {};
      for (const line of text.split('\n')) {
        const match = /^([A-Za-z0-9;-]+):+ ?(.*)$/.exec(line);
        if (!match || match[1] === 'dn') continue;
        const values = found[match[1]!] ?? [];
        values.push(match[2]!);
        found[match[1]!] = values;
      }
      return found;
    },
    stop,
    start,
    freeze: () => {
      const frozen = child as ChildProcess | null;
      if (!frozen?.pid) return;
      frozen.kill('SIGSTOP');
      // kill(2) returns before every thread has stopped: a request sent at once could still be
      // answered. Wait until the kernel says the process is stopped (state T in /proc/PID/stat).
      for (let i = 0; i < 10_000; i++) {
        const state = /\) (\S)/.exec(fs.readFileSync(`/proc/${frozen.pid}/stat`, 'utf8'))?.[1];
        if (state === 'T' || state === 't') return;
      }
      throw new Error('slapd did not stop on SIGSTOP');
    },
    thaw: () => void (child as ChildProcess | null)?.kill('SIGCONT'),
    async close() {
      (child as ChildProcess | null)?.kill('SIGCONT');
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An inetOrgPerson under ou=people (entryUUID is the server's). */
export function personLdif(uid: string, options: { mail: string; password: string; cn?: string; extra?: string }): string {
  return `dn: uid=${uid},ou=people,${SUFFIX}
objectClass: inetOrgPerson
uid: ${uid}
cn: ${options.cn ?? uid}
sn: ${uid}
mail: ${options.mail}
userPassword: ${options.password}
${options.extra ?? ''}
`;
}

/** A groupOfNames under ou=groups whose members are these DNs. */
export function groupLdif(cn: string, members: readonly string[]): string {
  return `dn: cn=${cn},ou=groups,${SUFFIX}
objectClass: groupOfNames
cn: ${cn}
${members.map((m) => `member: ${m}`).join('\n')}
`;
}

export const personDn = (uid: string) => `uid=${uid},ou=people,${SUFFIX}`;
export const groupDn = (cn: string) => `cn=${cn},ou=groups,${SUFFIX}`;
