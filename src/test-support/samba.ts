// A real Active Directory domain controller (Debian's Samba, `samba-ad-dc`) for the directory
// tests: `samba-tool domain provision` into a temporary folder, a certificate that names the
// address (Samba's own names only the host), and `samba -F` in the foreground serving LDAP only.
// An AD DC listens on the fixed ports 389/636, so each one gets a loopback address of its own
// (127.x.y.z needs no `ip addr` on Linux; Samba needs the /8 mask to see it as an interface).
// Provisioning takes ~10 s. Missing Samba skips by name ("SKIPPED samba: …") unless
// GATEHOUSE_TEST_REQUIRE_ALL=1.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REQUIRE_ALL } from './databases.js';

export const SAMBA = '/usr/sbin/samba';
export const SAMBA_TOOL = '/usr/bin/samba-tool';
export const AD_BASE_DN = 'DC=example,DC=org';
export const AD_REALM = 'example.org';
const ADMIN_PASSWORD = 'Adm1n-Pass-For-Tests!';
/** The service account Gatehouse binds as (an ordinary domain user: AD lets any of them search). */
export const AD_SERVICE_UPN = `gatehouse@${AD_REALM}`;
const SERVICE_PASSWORD = 'Service-Pass-For-Tests-1';

const PRESENT = fs.existsSync(SAMBA) && fs.existsSync(SAMBA_TOOL) && fs.existsSync('/usr/bin/openssl');

export function skipWithoutSamba(): string | undefined {
  if (PRESENT) return undefined;
  if (REQUIRE_ALL) throw new Error('samba is required here (GATEHOUSE_TEST_REQUIRE_ALL=1): apt-get install samba samba-ad-dc');
  return 'SKIPPED samba: /usr/sbin/samba or samba-tool is missing (apt-get install samba samba-ad-dc)';
}

export interface SambaDc {
  /** The loopback address it alone listens on. */
  readonly address: string;
  /** ldaps://address */
  readonly ldapsUrl: string;
  /** ldap://address (StartTLS; plain simple binds are refused by AD's default, kept here) */
  readonly ldapUrl: string;
  readonly caFile: string;
  readonly servicePasswordFile: string;
  /** samba-tool against the domain's database, e.g. ['user', 'disable', 'bob']. */
  tool(args: string[]): string;
  close(): Promise<void>;
}

function answers(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, address, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** A loopback address nobody listens on at 389. */
async function freeLoopbackAddress(): Promise<string> {
  for (let i = 0; i < 20; i++) {
    const address = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    if (!(await answers(address, 389))) return address;
  }
  throw new Error('no free loopback address for the Samba DC');
}

function certificates(dir: string, address: string): void {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Gatehouse test AD CA']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'server.csr', '-subj', '/CN=dc1.example.org']);
  fs.writeFileSync(path.join(dir, 'san.ext'), `subjectAltName=IP:${address},DNS:dc1.example.org\nextendedKeyUsage=serverAuth\n`);
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cert.pem', '-days', '2', '-extfile', 'san.ext']);
  // Samba refuses a key others can read.
  fs.chmodSync(path.join(dir, 'key.pem'), 0o600);
}

export async function startSambaDc(): Promise<SambaDc> {
  const address = await freeLoopbackAddress();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-samba-'));
  const dc = path.join(dir, 'dc');
  execFileSync(
    SAMBA_TOOL,
    [
      'domain',
      'provision',
      `--targetdir=${dc}`,
      '--realm=EXAMPLE.ORG',
      '--domain=EXAMPLE',
      '--server-role=dc',
      '--dns-backend=NONE',
      `--adminpass=${ADMIN_PASSWORD}`,
      '--use-rfc2307',
      '--host-name=dc1',
      `--host-ip=${address}`,
      `--option=interfaces=${address}/8`,
      '--option=bind interfaces only=yes',
    ],
    { stdio: 'pipe' },
  );
  const tls = path.join(dir, 'tls');
  fs.mkdirSync(tls);
  for (const sub of ['run', 'log', 'cache']) fs.mkdirSync(path.join(dc, sub), { recursive: true });
  certificates(tls, address);
  // Everything the DC writes stays in its folder (two DCs at once must not share /run/samba), and
  // only the LDAP service runs.
  const conf = path.join(dc, 'etc', 'smb.conf');
  const own = [
    'server services = ldap',
    `pid directory = ${dc}/run`,
    `ncalrpc dir = ${dc}/run/ncalrpc`,
    `winbindd socket directory = ${dc}/run/winbindd`,
    `ntp signd socket directory = ${dc}/run/ntp_signd`,
    `log file = ${dc}/log/log.%m`,
    `tls certfile = ${tls}/cert.pem`,
    `tls keyfile = ${tls}/key.pem`,
    `tls cafile = ${tls}/ca.pem`,
  ];
  const written = fs
    .readFileSync(conf, 'utf8')
    .split('\n')
    .filter((line) => !/^\s*(log file|server services)\s*=/.test(line));
  fs.writeFileSync(conf, written.join('\n').replace('[global]\n', `[global]\n${own.map((l) => `\t${l}\n`).join('')}`));

  let output = '';
  const child: ChildProcess = spawn(SAMBA, ['-F', '--no-process-group', '--debug-stdout', '-d1', '-M', 'single', '-s', conf], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000).then(() => child.kill('SIGKILL'))]);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; !(await answers(address, 636)); i++) {
      if (child.exitCode !== null) throw new Error(`samba exited (${child.exitCode}):\n${output}`);
      if (i > 400) throw new Error(`samba did not listen on ${address}:636:\n${output}`);
      await sleep(50);
    }
  } catch (error) {
    await close();
    throw error;
  }
  const tool = (args: string[]) =>
    execFileSync(SAMBA_TOOL, [...args, '-H', path.join(dc, 'private', 'sam.ldb'), '-s', conf], { encoding: 'utf8', stdio: 'pipe' });
  tool(['user', 'add', 'gatehouse', SERVICE_PASSWORD, '--use-username-as-cn']);
  const servicePasswordFile = path.join(dir, 'service-password');
  fs.writeFileSync(servicePasswordFile, SERVICE_PASSWORD, { mode: 0o600 });
  return {
    address,
    ldapsUrl: `ldaps://${address}`,
    ldapUrl: `ldap://${address}`,
    caFile: path.join(tls, 'ca.pem'),
    servicePasswordFile,
    tool,
    close,
  };
}
