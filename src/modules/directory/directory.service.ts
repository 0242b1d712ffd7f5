// Accounts from the directory (issue 30): finding the person a sign-in names, admitting them
// (linked by the directory's unique id, created at the first sign-in, their email and groups
// refreshed), and the directory's health as the last operation saw it. The password itself is
// checked by DirectoryClient.verifyPassword, inside the sign-in's attempt slot (sign-in/): the
// attempt limits count directory sign-ins exactly as local ones.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../http/errors.js';
import type { RecordAudit } from '../audit/index.js';
import type { GroupsService } from '../access/index.js';
import {
  findUserByEmail,
  findUserForSignIn,
  findUserForSignInByDirectoryId,
  insertDirectoryUser,
  isUniqueViolation,
  type Role,
  type SignInCandidate,
  setUserEmail,
} from '../users/index.js';
import { type DirectoryClient, type DirectoryEntry, DirectoryUnavailable } from './directory-client.js';

export interface DirectoryServiceDeps {
  db: Kysely<DB>;
  client: DirectoryClient;
  groups: GroupsService;
  /** The require-2FA policy's clock for a new account (two-factor/ keeps it). */
  policy: { clockForNewUser(role: Role): Promise<number | null> };
  audit: RecordAudit;
  clock: () => number;
  /**
   * Keeps the directory's display name on the account (the users' display_name column, when the
   * composition root has one to give); without it the name is read and not kept.
   */
  saveDisplayName?: (userId: string, displayName: string | null) => Promise<void>;
}

/** What /healthz and /metrics read: the directory's state as the last operation (or ping) found it. */
export interface DirectoryHealth {
  status: 'ok' | 'unavailable';
  /** Why it is unavailable (no secrets: a code such as ECONNREFUSED, or what was refused). */
  reason?: string;
  checkedAt: number;
}

/** How long a /healthz answer about the directory is reused before asking it again. */
const HEALTH_TTL_MS = 10_000;

export class DirectoryService {
  private health: DirectoryHealth | null = null;

  constructor(private readonly deps: DirectoryServiceDeps) {}

  get client(): DirectoryClient {
    return this.deps.client;
  }

  /** GATEHOUSE_LDAP_LOCKOUT_THRESHOLD (0: not given). */
  get lockoutThreshold(): number {
    return this.deps.client.config.lockoutThreshold;
  }

  /** Runs a directory operation, remembering whether the directory answered. */
  private async observe<T>(operation: () => Promise<T>): Promise<T> {
    try {
      const result = await operation();
      this.health = { status: 'ok', checkedAt: this.deps.clock() };
      return result;
    } catch (error) {
      if (error instanceof DirectoryUnavailable) this.health = { status: 'unavailable', reason: error.reason, checkedAt: this.deps.clock() };
      throw error;
    }
  }

  /**
   * The directory entry a sign-in names, and the Gatehouse account linked to it. A known
   * directory account is looked up by its unique id (its email may have changed there); anything
   * else by email or login name. Throws DirectoryUnavailable when the directory does not answer.
   */
  async locate(identifier: string, known: SignInCandidate | undefined): Promise<{ entry: DirectoryEntry | null; account: SignInCandidate | undefined }> {
    const { client, db } = this.deps;
    if (known?.directory_id) {
      const entry = await this.observe(() => client.findById(known.directory_id!));
      return { entry, account: known };
    }
    const entry = await this.observe(() => client.findPerson(identifier.trim()));
    if (!entry) return { entry: null, account: undefined };
    return { entry, account: await findUserForSignInByDirectoryId(db, entry.id) };
  }

  /**
   * A directory account signing in some other way than its directory password (another provider):
   * whether its entry still exists and is enabled, and if so its email and groups made the
   * directory's now, as a password sign-in would. Throws DirectoryUnavailable when the directory
   * does not answer.
   */
  async stillEnabled(account: { id: string; email: string; directory_id: string }): Promise<boolean> {
    const entry = await this.observe(() => this.deps.client.findById(account.directory_id));
    if (!entry || entry.disabled) return false;
    if (entry.mail !== null) await this.followEmail(account, entry.mail);
    await this.refreshGroups(account, entry);
    return true;
  }

  /** GATEHOUSE_LDAP_PASSWORD_URL: where people change their directory password (null: not given). */
  get passwordUrl(): string | null {
    return this.deps.client.config.passwordUrl;
  }

  /** A linked account's password (step-up, turning 2FA off): its entry by id, then a bind; disabled answers false. */
  async verifyLinked(directoryId: string, password: string): Promise<boolean> {
    const entry = await this.observe(() => this.deps.client.findById(directoryId));
    if (!entry || entry.disabled) {
      await this.refuseAlike(password);
      return false;
    }
    return this.verifyPassword(entry, password);
  }

  /** GATEHOUSE_LDAP_PASSWORD_MODIFY: whether people change their directory password here. */
  get passwordModify(): boolean {
    return this.deps.client.config.passwordModify;
  }

  /** A linked account's new password, written to the directory (RFC 3062); false when the old one is wrong. */
  async changePassword(directoryId: string, oldPassword: string, newPassword: string): Promise<boolean> {
    const entry = await this.observe(() => this.deps.client.findById(directoryId));
    if (!entry || entry.disabled) return false;
    return this.observe(() => this.deps.client.changePassword(entry.dn, oldPassword, newPassword));
  }

  /** The password check: a bind as the person (never reading a hash). */
  verifyPassword(entry: DirectoryEntry, password: string): Promise<boolean> {
    return this.observe(() => this.deps.client.verifyPassword(entry.dn, password));
  }

  /**
   * The same round trip as a password check, for a sign-in that will be refused whatever the
   * password (nobody by that name, disabled, blocked): a bind as a DN that does not exist, which
   * no server accepts and which counts against nobody's lockout. Its answer is ignored.
   */
  async refuseAlike(password: string): Promise<void> {
    await this.observe(() => this.deps.client.verifyPassword(`cn=gatehouse-no-such-person,${this.deps.client.config.baseDn}`, password || 'x'));
  }

  /**
   * After a right password: the Gatehouse account of `entry`, created on the first sign-in, its
   * email and groups made the directory's. An email another account already has refuses the sign-in
   * (`invalid_credentials`): the directory never takes over an account it did not make.
   */
  async admit(entry: DirectoryEntry, account: SignInCandidate | undefined, address: string | null): Promise<SignInCandidate> {
    const { db, audit } = this.deps;
    const refuse = async (reason: string, subject: { id: string; email: string } | null) => {
      await audit({ kind: 'sign_in.failed', subject, address, details: { reason, step: 'password', source: 'directory' } });
      throw new AppError('invalid_credentials');
    };
    if (entry.mail === null) return refuse('no_email_in_directory', account ? { id: account.id, email: account.email } : null);
    let id: string;
    if (account) {
      id = account.id;
      await this.followEmail(account, entry.mail);
    } else {
      const taken = await findUserByEmail(db, entry.mail);
      if (taken) return refuse('email_taken', { id: taken.id, email: taken.email });
      try {
        const created = await insertDirectoryUser(db, {
          email: entry.mail,
          directoryId: entry.id,
          now: this.deps.clock(),
          twoFactorRequiredSince: await this.deps.policy.clockForNewUser('user'),
        });
        id = created.id;
        await audit({ kind: 'user.created', actor: null, subject: { id, email: created.email }, address, details: { role: 'user', source: 'directory' } });
      } catch (error) {
        // Two first sign-ins at once: the other made the account.
        if (!isUniqueViolation(error)) throw error;
        const other = await findUserForSignInByDirectoryId(db, entry.id);
        if (!other) return refuse('email_taken', null);
        id = other.id;
      }
    }
    const user = (await findUserForSignInByDirectoryId(db, entry.id)) ?? (await findUserForSignIn(db, entry.mail));
    if (!user || user.id !== id) return refuse('email_taken', null);
    await this.deps.saveDisplayName?.(user.id, entry.displayName);
    await this.refreshGroups(user, entry);
    return user;
  }

  /** Makes the account's email the directory's, unless another account has it (then it stays, audited). */
  async followEmail(account: { id: string; email: string }, mail: string, dryRun = false): Promise<'changed' | 'kept' | 'taken'> {
    const { db } = this.deps;
    const next = mail.normalize('NFKC').toLowerCase().trim();
    if (next === account.email) return 'kept';
    const other = await findUserByEmail(db, next);
    if (other && other.id !== account.id) {
      if (!dryRun) await this.deps.audit({ kind: 'user.email_kept', subject: account, details: { reason: 'taken', source: 'directory' } });
      return 'taken';
    }
    if (dryRun) return 'changed';
    await setUserEmail(db, account.id, next);
    await this.deps.audit({ kind: 'user.email_changed', subject: { id: account.id, email: next }, details: { from: account.email, source: 'directory' } });
    return 'changed';
  }

  /** The entry's display name kept on the account (when the composition root gave a place for it). */
  async followDisplayName(userId: string, entry: DirectoryEntry): Promise<void> {
    await this.deps.saveDisplayName?.(userId, entry.displayName);
  }

  /** The account's directory groups made the entry's (nested ones included as configured). */
  async refreshGroups(user: { id: string; email: string }, entry: DirectoryEntry, dryRun = false) {
    const names = await this.observe(() => this.deps.client.groupsOf(entry));
    return this.deps.groups.setDirectoryGroups(user, names, { dryRun });
  }

  /** The directory's state for /healthz: the last operation's, or a fresh ping when that is older than 10 s. */
  async currentHealth(): Promise<DirectoryHealth> {
    const now = this.deps.clock();
    if (this.health && Math.abs(now - this.health.checkedAt) < HEALTH_TTL_MS) return this.health;
    try {
      await this.observe(() => this.deps.client.ping());
    } catch (error) {
      if (!(error instanceof DirectoryUnavailable)) throw error;
    }
    return this.health!;
  }

  /** The last known state without asking (the metrics' gauge): null before any operation. */
  lastHealth(): DirectoryHealth | null {
    return this.health;
  }

  close(): Promise<void> {
    return this.deps.client.close();
  }
}
