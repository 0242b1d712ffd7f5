// Creating and administering accounts: used by the admin API and by the command line alike.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../http/errors.js';
import { insertAuditEvent, type Actor, type RecordAudit } from '../audit/index.js';
import type { PasswordHasher } from '../passwords/index.js';
import { assertStrongPassword } from '../passwords/index.js';
import { deleteAttemptCounters, type AttemptLimiter } from '../attempt-limits/index.js';
import { accountCounterKey } from '../../core/counter-keys.js';
import { normalizeProfile, type Profile } from './profile.js';
import {
  countActiveAdminsLocked,
  deleteUser,
  findUserByEmail,
  findUserById,
  insertUser,
  isUniqueViolation,
  normalizeEmail,
  findUserProfile,
  setUserFlags,
  setUserLocale,
  setUserProfile,
  type Role,
  type UserRow,
} from './users.repository.js';

export interface UsersDeps {
  db: Kysely<DB>;
  hasher: PasswordHasher;
  limiter: AttemptLimiter;
  /** The require-2FA policy's clocks (two-factor/ keeps them). */
  policy: { clockForNewUser(role: Role): Promise<number | null>; applyToUser(userId: string, role: Role): Promise<void> };
  /** Ends every session of an account inside the caller's transaction (sessions/ keeps them). */
  endSessionsOf: (trx: Kysely<DB>, userId: string) => Promise<void>;
  /** Ends the account's OpenID Connect grants (and their tokens), sessions left alone: a role change. */
  endGrantsOf: (trx: Kysely<DB>, userId: string) => Promise<void>;
  /** Tells every instance that who may go where changed (access/ keeps the version), in the caller's transaction. */
  accessChanged: (trx: Kysely<DB>) => Promise<void>;
  /** Queues the plain notice that the account was deleted, to its address, in the caller's transaction (mail/ renders it). */
  mailDeletionNotice: (trx: Kysely<DB>, to: { email: string; locale: string }, by: DeletedBy) => Promise<void>;
  audit: RecordAudit;
  clock: () => number;
}

/** Who deleted an account: an administrator, its owner, or the command line on the server. */
export type DeletedBy = 'admin' | 'self' | 'cli';

export class UsersService {
  constructor(private readonly deps: UsersDeps) {}

  async create(input: { email: string; password: string; role: Role }, actor: Actor, address: string | null): Promise<UserRow> {
    const email = normalizeEmail(input.email);
    assertStrongPassword(input.password, email);
    const passwordHash = await this.deps.hasher.hash(input.password);
    let user: UserRow;
    try {
      // Under a require-2FA policy that covers this role, the new user's grace period starts now.
      const twoFactorRequiredSince = await this.deps.policy.clockForNewUser(input.role);
      user = await insertUser(this.deps.db, { email, role: input.role, passwordHash, now: this.deps.clock(), twoFactorRequiredSince });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('email_taken');
      throw error;
    }
    await this.deps.audit({ kind: 'user.created', actor, subject: { id: user.id, email: user.email }, address, details: { role: user.role } });
    return user;
  }

  /** The user with this id; 404 not_found otherwise (an id that is not a UUID is not looked up). */
  async require(id: string): Promise<UserRow> {
    const user = /^[0-9a-f-]{36}$/i.test(id) ? await findUserById(this.deps.db, id) : undefined;
    if (!user) throw new AppError('not_found', 'No such user.');
    return user;
  }

  /** The language of the mail the account is sent. */
  setLocale(userId: string, locale: 'en' | 'es'): Promise<void> {
    return setUserLocale(this.deps.db, userId, locale);
  }

  /** The account's names; all null for an account that has none (or no longer exists). */
  async profileOf(userId: string): Promise<Profile> {
    const row = await findUserProfile(this.deps.db, userId);
    return { displayName: row?.display_name ?? null, givenName: row?.given_name ?? null, familyName: row?.family_name ?? null };
  }

  /**
   * Sets the account's names (by its owner, or an administrator), normalised by profile.ts; audited
   * as `user.profile_changed` with the fields that changed, old and new, when any did.
   */
  async setProfile(user: Pick<UserRow, 'id' | 'email'>, input: Profile, actor: Actor, address: string | null): Promise<Profile> {
    const next = normalizeProfile(input);
    const before = await this.profileOf(user.id);
    await setUserProfile(this.deps.db, user.id, { display_name: next.displayName, given_name: next.givenName, family_name: next.familyName });
    const changed = (Object.keys(next) as (keyof Profile)[]).filter((field) => next[field] !== before[field]);
    if (changed.length > 0) {
      const details = Object.fromEntries(changed.map((field) => [field, { from: before[field], to: next[field] }]));
      await this.deps.audit({ kind: 'user.profile_changed', actor, subject: { id: user.id, email: user.email }, address, details: { changed: details } });
    }
    return next;
  }

  findByEmail(email: string): Promise<UserRow | undefined> {
    return findUserByEmail(this.deps.db, email);
  }

  async unlock(user: UserRow, actor: Actor, address: string | null): Promise<void> {
    const subject = { id: user.id, email: user.email };
    const wasLocked = await this.deps.limiter.unlock(accountCounterKey(user.id), subject, address);
    await this.deps.audit({ kind: 'account.unlocked', actor, subject, address, details: { wasLocked } });
  }

  /**
   * Blocks/unblocks and changes the role. The last active administrator can be neither blocked nor
   * demoted; the check and the change run in one transaction so two admins racing cannot both pass.
   */
  async update(user: UserRow, patch: { blocked?: boolean; role?: Role }, actor: Actor, address: string | null): Promise<UserRow> {
    // Nobody blocks or demotes themselves: the session doing it would lose the way back.
    if (actor !== null && actor !== 'cli' && actor.id === user.id && (patch.blocked === true || (patch.role !== undefined && patch.role !== user.role)))
      throw new AppError('cannot_change_self');
    const losesAdmin = user.role === 'admin' && !user.blocked && (patch.blocked === true || patch.role === 'user');
    await this.deps.db.transaction().execute(async (trx) => {
      if (losesAdmin && (await countActiveAdminsLocked(trx)) <= 1) throw new AppError('last_admin');
      const set: { blocked?: number; role?: Role } = {};
      if (patch.blocked !== undefined) set.blocked = patch.blocked ? 1 : 0;
      if (patch.role !== undefined) set.role = patch.role;
      await setUserFlags(trx, user.id, set);
      // A block ends the sessions; a block or a role change ends the OpenID Connect grants too:
      // what an application was given under the old standing is not carried over (issue 28).
      if (patch.blocked) await this.deps.endSessionsOf(trx, user.id);
      else if (patch.role !== undefined && patch.role !== user.role) await this.deps.endGrantsOf(trx, user.id);
    });
    if (patch.role !== undefined && patch.role !== user.role) await this.deps.policy.applyToUser(user.id, patch.role);
    const subject = { id: user.id, email: user.email };
    if (patch.blocked !== undefined && patch.blocked !== (user.blocked === 1)) {
      await this.deps.audit({ kind: patch.blocked ? 'user.blocked' : 'user.unblocked', actor, subject, address });
    }
    if (patch.role !== undefined && patch.role !== user.role) {
      await this.deps.audit({ kind: 'user.role_changed', actor, subject, address, details: { from: user.role, to: patch.role } });
    }
    return this.require(user.id);
  }

  /**
   * Deletes the account, in one transaction: the last active administrator is refused
   * (`last_admin`), every session and OpenID Connect grant ends, the row goes, a plain notice is
   * queued to the address and `user.deleted` is audited (`by`, never a secret). `confirmEmail` is
   * what the person typed: anything but the account's email (normalised) is 400
   * confirmation_mismatch, checked against the row as the transaction reads it.
   *
   * What goes and what stays, by table (src/db/schema.ts):
   * - with the row, by ON DELETE CASCADE: sessions, two_factor, backup_codes, webauthn_credentials,
   *   webauthn_challenges, trusted_devices, sign_in_warnings, password_reset_tokens, email_changes,
   *   group_members and access_rule_subjects (a rule that named only this person lets nobody in);
   *   the access version is bumped so every instance drops them from its cached rules too;
   * - here, as no foreign key holds them: the OpenID Connect grants, tokens and provider sessions
   *   (oidc_payloads.account_id) and the attempt counters under accountCounterKey(id), devices' and
   *   resets' included (the id never comes back, but they say how the person signed in);
   * - kept: the audit events, the account's own included (the record of what was done, with no
   *   secret in it); oidc_backchannel_logouts until delivered (they are how the applications hear
   *   that its sessions ended: the sweep finds the sessions gone); invitations.user_id and
   *   registrations.user_id (how the account came, ended rows that onboarding/ prunes, and never in
   *   the way of a new invitation or registration of the address); setup_claim.user_id (its one
   *   row is what keeps the first-run setup claimed for good); mail already queued (the outbox
   *   names no account, and a reset link in it stops working with its token row); the request
   *   counters (mail_request_counters, `email-change:<id>` among them: a count in a window,
   *   pruned within hours, for an id that never comes back).
   */
  async remove(user: UserRow, input: { confirmEmail: string; by: DeletedBy }, actor: Actor, address: string | null): Promise<void> {
    // An administrator deletes their own account the way any owner does (POST /api/me/delete, when allowed).
    if (input.by === 'admin' && actor !== null && actor !== 'cli' && actor.id === user.id)
      throw new AppError('cannot_change_self', 'Delete your own account from your security page, not from the users list.');
    await this.deps.db.transaction().execute(async (trx) => {
      // The administrators' rows first, locked (countActiveAdminsLocked), then the account as it is now:
      // of two administrators deleting each other at once, the second waits and is refused.
      const admins = await countActiveAdminsLocked(trx);
      const current = await findUserById(trx, user.id);
      if (!current) throw new AppError('not_found', 'No such user.');
      if (normalizeEmail(input.confirmEmail) !== current.email) throw new AppError('confirmation_mismatch');
      if (current.role === 'admin' && current.blocked === 0 && admins <= 1) throw new AppError('last_admin', 'The last administrator cannot be deleted.');
      const now = this.deps.clock();
      const subject = { id: current.id, email: current.email };
      await this.deps.endSessionsOf(trx, current.id);
      await deleteAttemptCounters(trx, accountCounterKey(current.id));
      await this.deps.mailDeletionNotice(trx, { email: current.email, locale: current.locale }, input.by);
      if (!(await deleteUser(trx, current.id))) throw new AppError('not_found', 'No such user.');
      await this.deps.accessChanged(trx);
      await insertAuditEvent(trx, { kind: 'user.deleted', actor, subject, address, details: { by: input.by } }, now);
    });
  }
}
