// SQL for the users table. Functions take the database (or a transaction) first.
import { NO_CONTROL } from '../../http/query.js';
import { randomUUID } from 'node:crypto';
import { AppError } from '../../http/errors.js';
import type { Kysely, Selectable } from 'kysely';
import type { DB, UsersTable } from '../../db/schema.js';
import { pageByTime, type PageRequest } from '../../db/paging.js';
import { compiled } from '../../db/compiled.js';

export type UserRow = Selectable<UsersTable>;
export type Role = 'admin' | 'user';

/**
 * Emails are compared NFKC-normalised, lower-cased and trimmed: one account per mailbox however it
 * is typed (`ｕser@x.com` is `user@x.com`). Idempotent (checked over every code point). Migration
 * 0008 holds a frozen copy of this rule for the rows stored before it.
 */
export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').toLowerCase().trim();
}

// One address as a mail server and nodemailer read it, after NFKC: exactly one @, and nothing that
// splits or quotes a recipient list. The request schema checks the raw text; NFKC can still make
// an @ or a comma out of a full-width one (me＠evil.com，x@corp.com), which would pass a domain
// check on the last @ and mail two people.
// No control character either (a NUL is a 500 from PostgreSQL's text, and no mailbox has one).
const ADDRESS_PART = `[^\\s@,;<>()":[\\]\\\\${NO_CONTROL}]+`;
const DELIVERABLE_EMAIL = new RegExp(`^${ADDRESS_PART}@${ADDRESS_PART}$`, 'u');

/** The normalised address of a new account or a new email: 400 invalid_request when mail could not take it as one address. */
export function deliverableEmail(email: string): string {
  const normalized = normalizeEmail(email);
  if (!DELIVERABLE_EMAIL.test(normalized) || [...normalized].length > 320) throw new AppError('invalid_request', 'This is not one email address.');
  return normalized;
}

export async function findUserByEmail(db: Kysely<DB>, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', normalizeEmail(email)).executeTakeFirst();
}

/** The account behind a sign-in's email, with what the sign-in decides next: one read, not three. */
export type SignInCandidate = UserRow & { twoFactorEnabled: boolean; hasSignInWarning: boolean };

// The first read of every sign-in: built once (db/compiled.ts).
const selectForSignIn = compiled((db, email: string) =>
  db
    .selectFrom('users')
    .leftJoin('two_factor', 'two_factor.user_id', 'users.id')
    .selectAll('users')
    .select((eb) => [
      'two_factor.enabled_at as two_factor_enabled_at',
      eb
        .exists(eb.selectFrom('webauthn_credentials').select('webauthn_credentials.id').whereRef('webauthn_credentials.user_id', '=', 'users.id'))
        .as('has_key'),
      eb.exists(eb.selectFrom('sign_in_warnings').select('sign_in_warnings.user_id').whereRef('sign_in_warnings.user_id', '=', 'users.id')).as('has_warning'),
    ])
    .where('users.email', '=', email),
);

export async function findUserForSignIn(db: Kysely<DB>, email: string): Promise<SignInCandidate | undefined> {
  const row = (await selectForSignIn(db, normalizeEmail(email))).rows[0];
  if (!row) return undefined;
  const { two_factor_enabled_at, has_key, has_warning, ...user } = row;
  // SQLite answers EXISTS with 0/1, PostgreSQL with a boolean.
  return { ...user, twoFactorEnabled: two_factor_enabled_at != null || Boolean(has_key), hasSignInWarning: Boolean(has_warning) };
}

/** The account linked to this directory id (issue 30), with what a sign-in decides next. */
export async function findUserForSignInByDirectoryId(db: Kysely<DB>, directoryId: string): Promise<SignInCandidate | undefined> {
  const row = await db
    .selectFrom('users')
    .leftJoin('two_factor', 'two_factor.user_id', 'users.id')
    .selectAll('users')
    .select((eb) => [
      'two_factor.enabled_at as two_factor_enabled_at',
      eb
        .exists(eb.selectFrom('webauthn_credentials').select('webauthn_credentials.id').whereRef('webauthn_credentials.user_id', '=', 'users.id'))
        .as('has_key'),
    ])
    .where('users.directory_id', '=', directoryId)
    .executeTakeFirst();
  if (!row) return undefined;
  const { two_factor_enabled_at, has_key, ...user } = row;
  // hasSignInWarning: true makes the sign-in clear a warning that may be there (one read fewer is not worth a guess).
  return { ...user, twoFactorEnabled: two_factor_enabled_at != null || Boolean(has_key), hasSignInWarning: true };
}

/** What a directory account's password_hash holds: no Argon2id hash equals it, so no local password ever matches. */
export const DIRECTORY_PASSWORD_MARK = '!directory';

/** A new account taken from the directory at its first sign-in or a sync. */
export async function insertDirectoryUser(
  db: Kysely<DB>,
  input: { email: string; directoryId: string; now: number; twoFactorRequiredSince: number | null },
): Promise<UserRow> {
  const row: UserRow = {
    id: randomUUID(),
    email: normalizeEmail(input.email),
    role: 'user',
    password_hash: DIRECTORY_PASSWORD_MARK,
    blocked: 0,
    created_at: input.now,
    last_sign_in_at: null,
    password_changed_at: input.now,
    two_factor_required_since: input.twoFactorRequiredSince,
    locale: 'en',
    display_name: null,
    given_name: null,
    family_name: null,
    source: 'directory',
    directory_id: input.directoryId,
    two_factor_required: 0,
    awaiting_approval: 0,
  };
  await db.insertInto('users').values(row).execute();
  return row;
}

/** A directory account's email as the directory now has it (the id, 2FA and keys stay). */
export async function setUserEmail(db: Kysely<DB>, userId: string, email: string): Promise<void> {
  await db
    .updateTable('users')
    .set({ email: normalizeEmail(email) })
    .where('id', '=', userId)
    .execute();
}

/**
 * Moves the account to another email only while it still has `from` (compare-and-set: of two
 * racing changes exactly one wins). Another account with `to` makes it throw a unique violation.
 */
export async function replaceUserEmail(db: Kysely<DB>, userId: string, from: string, to: string): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ email: normalizeEmail(to) })
    .where('id', '=', userId)
    .where('email', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Every account taken from the directory (the sync compares them with it). */
export async function listDirectoryUsers(db: Kysely<DB>): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().where('source', '=', 'directory').orderBy('created_at').execute();
}

// Read on every OpenID Connect token and userinfo request, and at many other steps: built once.
const selectUserById = compiled((db, id: string) => db.selectFrom('users').selectAll().where('id', '=', id));

export async function findUserById(db: Kysely<DB>, id: string): Promise<UserRow | undefined> {
  return (await selectUserById(db, id)).rows[0];
}

export async function insertUser(
  db: Kysely<DB>,
  input: {
    email: string;
    role: Role;
    passwordHash: string;
    now: number;
    twoFactorRequiredSince?: number | null;
    /** 2FA required of this one account from its first sign-in (an invitation's choice). */
    twoFactorRequired?: boolean;
    locale?: string;
    displayName?: string | null;
    /** A self-registered account an administrator has yet to approve (it cannot sign in until then). */
    awaitingApproval?: boolean;
  },
): Promise<UserRow> {
  const row: UserRow = {
    id: randomUUID(),
    // Every new local account (the CLI, an administrator, the setup link, an invitation, a registration).
    email: deliverableEmail(input.email),
    role: input.role,
    password_hash: input.passwordHash,
    blocked: 0,
    created_at: input.now,
    last_sign_in_at: null,
    password_changed_at: input.now,
    two_factor_required_since: input.twoFactorRequiredSince ?? null,
    locale: input.locale ?? 'en',
    display_name: input.displayName ?? null,
    given_name: null,
    family_name: null,
    source: 'local',
    directory_id: null,
    two_factor_required: input.twoFactorRequired ? 1 : 0,
    awaiting_approval: input.awaitingApproval ? 1 : 0,
  };
  await db.insertInto('users').values(row).execute();
  return row;
}

export async function updatePasswordHash(db: Kysely<DB>, userId: string, passwordHash: string, now: number): Promise<void> {
  await db.updateTable('users').set({ password_hash: passwordHash, password_changed_at: now }).where('id', '=', userId).execute();
}

/** A rehash with stronger parameters: the password itself is unchanged. */
export async function upgradePasswordHash(db: Kysely<DB>, userId: string, oldHash: string, newHash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: newHash }).where('id', '=', userId).where('password_hash', '=', oldHash).execute();
}

const updateLastSignIn = compiled((db, userId: string, now: number) => db.updateTable('users').set({ last_sign_in_at: now }).where('id', '=', userId));

export async function recordSignIn(db: Kysely<DB>, userId: string, now: number): Promise<void> {
  await updateLastSignIn(db, userId, now);
}

export async function countUsers(db: Kysely<DB>): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Counts the active administrators inside a transaction that may take one away. It first writes
 * (a no-op update) every active administrator's row: PostgreSQL then holds their row locks until
 * the transaction ends, so two transactions demoting or blocking the last two administrators at
 * once run one after the other and the second sees the first's change (READ COMMITTED re-reads
 * locked rows); SQLite runs one writer at a time anyway.
 */
export async function countActiveAdminsLocked(trx: Kysely<DB>): Promise<number> {
  const result = await trx
    .updateTable('users')
    .set((eb) => ({ role: eb.ref('role') }))
    .where('role', '=', 'admin')
    .where('blocked', '=', 0)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Lets a self-registered account sign in: true only for the one call that found it waiting. */
export async function approveUser(trx: Kysely<DB>, userId: string): Promise<boolean> {
  const result = await trx.updateTable('users').set({ awaiting_approval: 0 }).where('id', '=', userId).where('awaiting_approval', '=', 1).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The administrators who can act (not blocked), to be told of a registration waiting for them. */
export async function listActiveAdmins(db: Kysely<DB>): Promise<Pick<UserRow, 'id' | 'email' | 'locale'>[]> {
  return db.selectFrom('users').select(['id', 'email', 'locale']).where('role', '=', 'admin').where('blocked', '=', 0).orderBy('email').limit(50).execute();
}

export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string };
  return e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** The smallest string greater than every string starting with `prefix` (byte/code-point order). */
export function prefixUpperBound(prefix: string): string {
  return prefix + '\u{10FFFF}';
}

/**
 * The administrators' list: emails starting with `q`, paged on (created_at, id), which stays exact
 * while users are added (new ones sort after every existing cursor).
 */
export async function listUsers(db: Kysely<DB>, query: PageRequest & { q?: string }): Promise<{ rows: UserRow[]; nextCursor: string | null }> {
  let q = db.selectFrom('users').selectAll();
  const search = query.q === undefined ? undefined : normalizeEmail(query.q);
  // A range on the unique email index, so it stays fast at millions of users (a substring LIKE
  // would scan them all). % and _ are plain characters here.
  if (search) q = q.where('email', '>=', search).where('email', '<', prefixUpperBound(search));
  return pageByTime(q, { time: 'created_at', id: 'id', direction: 'asc' }, query);
}

export async function setUserFlags(db: Kysely<DB>, userId: string, set: { blocked?: number; role?: Role }): Promise<void> {
  if (Object.keys(set).length > 0) await db.updateTable('users').set(set).where('id', '=', userId).execute();
}

/**
 * Deletes the account's row; the rows that reference it by a foreign key go with it (ON DELETE
 * CASCADE: sessions, factors, trusted devices, memberships, reset links…). False when it was gone.
 */
export async function deleteUser(trx: Kysely<DB>, userId: string): Promise<boolean> {
  const result = await trx.deleteFrom('users').where('id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

// The require-2FA clock of each user: when the requirement first applied to them (null: not required).

/** Starts the user's clock unless it runs already (once, even when requests race); answers the stored start. */
export async function startTwoFactorClock(db: Kysely<DB>, userId: string, now: number): Promise<number> {
  await db.updateTable('users').set({ two_factor_required_since: now }).where('id', '=', userId).where('two_factor_required_since', 'is', null).execute();
  const row = await db.selectFrom('users').select('two_factor_required_since').where('id', '=', userId).executeTakeFirst();
  return row?.two_factor_required_since ?? now;
}

/** Sets the user's clock outright: null stops it, 0 makes the requirement overdue at once. */
export async function setTwoFactorClock(db: Kysely<DB>, userId: string, since: number | null): Promise<void> {
  await db.updateTable('users').set({ two_factor_required_since: since }).where('id', '=', userId).execute();
}

/** After a policy change: stops the clock of the users `role` (or everyone) no longer covers. */
export async function stopTwoFactorClocks(db: Kysely<DB>, role?: Role): Promise<void> {
  let q = db.updateTable('users').set({ two_factor_required_since: null });
  if (role) q = q.where('role', '=', role);
  await q.execute();
}

/** After a policy change: starts the clock of every user of `role` (or everyone) who has none. */
export async function startTwoFactorClocks(db: Kysely<DB>, now: number, role?: Role): Promise<void> {
  let q = db.updateTable('users').set({ two_factor_required_since: now }).where('two_factor_required_since', 'is', null);
  if (role) q = q.where('role', '=', role);
  await q.execute();
}

/** The language of the mail the account is sent. */
/** The account's names (users/profile.ts says what may be stored), or undefined for no such account. */
export async function findUserProfile(db: Kysely<DB>, userId: string): Promise<Pick<UserRow, 'display_name' | 'given_name' | 'family_name'> | undefined> {
  return db.selectFrom('users').select(['display_name', 'given_name', 'family_name']).where('id', '=', userId).executeTakeFirst();
}

export async function setUserProfile(db: Kysely<DB>, userId: string, names: Pick<UserRow, 'display_name' | 'given_name' | 'family_name'>): Promise<void> {
  await db.updateTable('users').set(names).where('id', '=', userId).execute();
}

/** The display name a directory holds, written at sign-in and sync when it differs. */
export async function setUserDisplayName(db: Kysely<DB>, userId: string, displayName: string | null): Promise<void> {
  await db.updateTable('users').set({ display_name: displayName }).where('id', '=', userId).where('display_name', 'is distinct from', displayName).execute();
}

export async function setUserLocale(db: Kysely<DB>, userId: string, locale: string): Promise<void> {
  await db.updateTable('users').set({ locale }).where('id', '=', userId).execute();
}
