// The directory over LDAP (ldapts; never a hand-written protocol). The service account's searches
// run on a small bounded pool of connections bound once and reused; a person's password is
// checked by a bind as their own DN on a fresh connection (that connection's identity changes, so
// it is never pooled) and closed at once. Every connection, TLS upgrade, bind and search is bounded
// by the configured timeout. Every value a person types reaches a filter only as the value of an
// EqualityFilter: ldapts encodes it as the assertion value of RFC 4511 (never parsed as filter
// text; its string form is escaped as RFC 4515 says), so `*`, `(`, `)`, `\` and NUL match only
// themselves. An empty password never reaches a bind: RFC 4513 §5.1.2 makes it an unauthenticated
// bind that many servers accept, which would sign anyone in.
import {
  AndFilter,
  BerWriter,
  Client,
  EqualityFilter,
  type Filter,
  FilterParser,
  InvalidCredentialsError,
  ResultCodeError,
  SizeLimitExceededError,
} from 'ldapts';
import { BINARY_IDS, type DirectoryEntry, groupsFilter, personFilter, str, toEntry } from './directory-entry.js';
import net from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { DirectoryConfig } from '../../config.js';

/** The directory does not answer (down, timeout, TLS refused, service bind refused). */
export class DirectoryUnavailable extends Error {
  constructor(readonly reason: string) {
    super(`The directory is unreachable: ${reason}`);
    this.name = 'DirectoryUnavailable';
  }
}

/** The directory refused a change it understood (a password its policy does not accept). */
export class DirectoryRefused extends Error {
  constructor(readonly reason: string) {
    super(`The directory refused the change: ${reason}`);
    this.name = 'DirectoryRefused';
  }
}

/** LDAP Password Modify extended operation (RFC 3062 §2). */
const PASSWORD_MODIFY = '1.3.6.1.4.1.4203.1.11.1';

/** How deep Gatehouse follows groups of groups itself (nestedGroups: walk), and how many it takes. */
const MAX_NESTING = 8;
const MAX_GROUPS_PER_PERSON = 500;

export { type DirectoryEntry, groupsFilter, IN_CHAIN, personFilter, UAC_ACCOUNTDISABLE, UAC_LOCKOUT } from './directory-entry.js';

export class DirectoryClient {
  private readonly idle: Client[] = [];
  private open = 0;
  private readonly waiting: Array<(client: Client | null) => void> = [];
  private readonly host: string;
  private closed = false;

  constructor(readonly config: DirectoryConfig) {
    this.host = new URL(config.url).hostname;
  }

  private get attributes(): string[] {
    const c = this.config;
    return [c.idAttribute, c.mailAttribute, c.nameAttribute, ...c.loginAttributes, 'userAccountControl', 'pwdAccountLockedTime', 'nsAccountLock'];
  }

  private get tls() {
    // SNI names hosts, never addresses (RFC 6066 §3); the certificate is checked against either.
    // Without a servername, a TLS upgrade of an existing socket (StartTLS) would check the
    // certificate against "localhost": an address is checked against the address itself.
    const host = this.host;
    const sni =
      net.isIP(host) === 0 ? { servername: host } : { checkServerIdentity: (_name: string, cert: PeerCertificate) => checkServerIdentity(host, cert) };
    return { ...(this.config.ca ? { ca: [this.config.ca] } : {}), ...sni, minVersion: 'TLSv1.2' as const };
  }

  /** A connection, TLS set up (StartTLS on ldap:// when configured), not yet bound. */
  private async connect(): Promise<Client> {
    const { url, timeoutMs } = this.config;
    // ldapts speaks TLS from the first byte whenever tlsOptions are given: only for ldaps://.
    const secure = url.startsWith('ldaps:') ? { tlsOptions: this.tls } : {};
    const client = new Client({ url, timeout: timeoutMs, connectTimeout: timeoutMs, ...secure, strictDN: false });
    try {
      if (this.config.startTls) await client.startTLS(this.tls);
      return client;
    } catch (error) {
      await client.unbind().catch(() => {});
      throw unavailable(error);
    }
  }

  private async serviceConnection(): Promise<Client> {
    const client = await this.connect();
    try {
      await client.bind(this.config.bindDn, this.config.bindPassword);
      return client;
    } catch (error) {
      await client.unbind().catch(() => {});
      throw error instanceof InvalidCredentialsError
        ? new DirectoryUnavailable('the service account (GATEHOUSE_LDAP_BIND_DN) was refused')
        : unavailable(error);
    }
  }

  private async acquire(): Promise<Client> {
    if (this.closed) throw new DirectoryUnavailable('closed');
    while (this.idle.length > 0) {
      const client = this.idle.pop()!;
      if (client.isConnected) return client;
      this.open--;
    }
    if (this.open < this.config.poolSize) {
      this.open++;
      try {
        return await this.serviceConnection();
      } catch (error) {
        this.open--;
        this.wakeOne();
        throw error;
      }
    }
    // All connections busy: wait for one, as long as an operation may take.
    const client = await new Promise<Client | null>((resolve) => {
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(handoff);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(null);
      }, this.config.timeoutMs);
      const handoff = (c: Client | null) => {
        clearTimeout(timer);
        resolve(c);
      };
      this.waiting.push(handoff);
    });
    // Woken without a connection (one closed: room to open another): try again. The wait ran out
    // with every connection still busy: unavailable, rather than queueing without end.
    if (client === null) {
      if (this.open < this.config.poolSize || this.idle.length > 0) return this.acquire();
      throw new DirectoryUnavailable(`all ${this.config.poolSize} directory connections stayed busy`);
    }
    return client;
  }

  private wakeOne(): void {
    this.waiting.shift()?.(null);
  }

  private release(client: Client, broken: boolean): void {
    if (broken || this.closed || !client.isConnected) {
      this.open--;
      void client.unbind().catch(() => {});
      this.wakeOne();
      return;
    }
    const waiter = this.waiting.shift();
    if (waiter) waiter(client);
    else this.idle.push(client);
  }

  /** Runs `work` on a pooled connection bound as the service account. */
  private async withService<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.acquire();
    try {
      const result = await work(client);
      this.release(client, false);
      return result;
    } catch (error) {
      this.release(client, !(error instanceof ResultCodeError));
      throw unavailable(error);
    }
  }

  /** The people `filter` selects; more than `sizeLimit` (when not 0) answers none: ambiguous. */
  private async searchPeople(filter: Filter, sizeLimit: number): Promise<DirectoryEntry[]> {
    return this.withService(async (client) => {
      const binary = BINARY_IDS.has(this.config.idAttribute.toLowerCase()) ? [this.config.idAttribute] : [];
      try {
        const { searchEntries } = await client.search(this.config.baseDn, {
          scope: 'sub',
          filter,
          attributes: this.attributes,
          explicitBufferAttributes: binary,
          sizeLimit,
          timeLimit: Math.ceil(this.config.timeoutMs / 1000),
          paged: sizeLimit === 0 ? { pageSize: 500 } : false,
        });
        return searchEntries.map((e) => toEntry(this.config, e)).filter((e): e is DirectoryEntry => e !== null);
      } catch (error) {
        if (error instanceof SizeLimitExceededError) return [];
        throw error;
      }
    });
  }

  /** The person whose email or login name is exactly `identifier`; null when none or more than one. */
  async findPerson(identifier: string): Promise<DirectoryEntry | null> {
    const found = await this.searchPeople(personFilter(this.config, identifier), 1);
    return found.length === 1 ? found[0]! : null;
  }

  /** The person with this unique id (a linked account's entry after a rename or a new email). */
  async findById(id: string): Promise<DirectoryEntry | null> {
    const binary = BINARY_IDS.has(this.config.idAttribute.toLowerCase());
    if (binary && !/^[0-9a-f]+$/.test(id)) return null;
    const value = binary ? Buffer.from(id, 'hex') : id;
    const filter = new AndFilter({
      filters: [FilterParser.parseString(this.config.userFilter), new EqualityFilter({ attribute: this.config.idAttribute, value })],
    });
    const found = await this.searchPeople(filter, 1);
    return found.length === 1 ? found[0]! : null;
  }

  /** Everyone the user filter selects (the sync), paged. */
  listPeople(): Promise<DirectoryEntry[]> {
    return this.searchPeople(FilterParser.parseString(this.config.userFilter), 0);
  }

  /**
   * Whether `password` is the person's: a simple bind as their DN on a fresh connection. An empty
   * password answers false without any bind (an unauthenticated bind would succeed). Throws
   * DirectoryUnavailable when the directory does not answer.
   */
  async verifyPassword(dn: string, password: string): Promise<boolean> {
    if (password === '' || dn === '') return false;
    const client = await this.connect();
    try {
      await client.bind(dn, password);
      return true;
    } catch (error) {
      if (error instanceof InvalidCredentialsError) return false;
      throw unavailable(error);
    } finally {
      await client.unbind().catch(() => {});
    }
  }

  /**
   * Changes the person's password with the Password Modify extended operation (RFC 3062), bound
   * as the person with the old one (so the directory's own rules, such as ppolicy's quality and
   * history, apply as to any change of their own). False when the old password is wrong.
   */
  async changePassword(dn: string, oldPassword: string, newPassword: string): Promise<boolean> {
    if (oldPassword === '' || newPassword === '' || dn === '') return false;
    const client = await this.connect();
    try {
      try {
        await client.bind(dn, oldPassword);
      } catch (error) {
        if (error instanceof InvalidCredentialsError) return false;
        throw error;
      }
      // PasswdModifyRequestValue ::= SEQUENCE { userIdentity [0] OPTIONAL, oldPasswd [1], newPasswd [2] }
      const value = new BerWriter();
      value.startSequence();
      value.writeString(oldPassword, 0x81);
      value.writeString(newPassword, 0x82);
      value.endSequence();
      try {
        await client.exop(PASSWORD_MODIFY, value.buffer);
      } catch (error) {
        if (error instanceof ResultCodeError) throw new DirectoryRefused(error.message.slice(0, 200));
        throw error;
      }
      return true;
    } catch (error) {
      if (error instanceof DirectoryRefused) throw error;
      throw unavailable(error);
    } finally {
      await client.unbind().catch(() => {});
    }
  }

  /** The names of the person's groups (nested ones included unless nestedGroups is off). */
  async groupsOf(entry: DirectoryEntry): Promise<string[]> {
    const c = this.config;
    const byUid = c.memberAttribute.toLowerCase() === 'memberuid';
    if (byUid && entry.login === null) return [];
    const names = new Set<string>();
    const seen = new Set<string>();
    let frontier = [byUid ? entry.login! : entry.dn];
    for (let depth = 0; frontier.length > 0 && depth < MAX_NESTING && names.size < MAX_GROUPS_PER_PERSON; depth++) {
      const found = await this.withService((client) =>
        client.search(c.groupBaseDn, {
          scope: 'sub',
          filter: groupsFilter(c, frontier),
          attributes: [c.groupNameAttribute],
          sizeLimit: MAX_GROUPS_PER_PERSON,
          timeLimit: Math.ceil(c.timeoutMs / 1000),
        }),
      );
      const next: string[] = [];
      for (const group of found.searchEntries) {
        const name = str(group, c.groupNameAttribute);
        if (name !== null) names.add(name);
        if (!seen.has(group.dn.toLowerCase())) {
          seen.add(group.dn.toLowerCase());
          next.push(group.dn);
        }
      }
      if (c.nestedGroups !== 'walk') break;
      frontier = next;
    }
    return [...names].sort();
  }

  /** How many groups the group filter selects under the group base (gatehouse directory test), up to `limit`. */
  async countGroups(limit = 1000): Promise<number> {
    return this.withService(async (client) => {
      try {
        const found = await client.search(this.config.groupBaseDn, {
          scope: 'sub',
          filter: FilterParser.parseString(this.config.groupFilter),
          attributes: ['1.1'],
          sizeLimit: limit,
        });
        return found.searchEntries.length;
      } catch (error) {
        if (error instanceof SizeLimitExceededError) return limit;
        throw error;
      }
    });
  }

  /** Connects and binds as the service account (gatehouse directory test, /healthz). */
  async ping(): Promise<void> {
    await this.withService(async (client) => {
      await client.search(this.config.baseDn, { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'], sizeLimit: 1 });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter(null);
    await Promise.all(this.idle.splice(0).map((c) => c.unbind().catch(() => {})));
    this.open = 0;
  }
}

function unavailable(error: unknown): DirectoryUnavailable {
  if (error instanceof DirectoryUnavailable) return error;
  const e = error as { code?: unknown; message?: string };
  return new DirectoryUnavailable(typeof e.code === 'string' ? e.code : (e.message ?? String(error)).slice(0, 200));
}
