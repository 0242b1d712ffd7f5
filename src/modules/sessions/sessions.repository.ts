// SQL for sessions. Rows are keyed by the SHA-256 of the token; the token is never stored.
import type { Kysely, Selectable } from 'kysely';
import type { RowReader } from '../../db/database.js';
import { compiled } from '../../db/compiled.js';
import type { DB, SessionStepUpColumn, SessionsTable, UsersTable } from '../../db/schema.js';

export type SessionKind = SessionsTable['kind'];
export type SessionRow = Selectable<SessionsTable>;

// Every sign-in (and every step of one) writes a session: built once (db/compiled.ts).
const insertRow = compiled((db, row: SessionRow & { amr: string | null }) => db.insertInto('sessions').values(row));

export async function insertSession(db: Kysely<DB>, row: SessionRow & { amr: string | null }): Promise<void> {
  await insertRow(db, row);
}

/**
 * Only what a session check decides with: each column more is a JS string built per request, and
 * a profile showed the row's size, not the joins, as the read's cost. (The password hash is read
 * when a password is checked, not here.)
 */
const SESSION_COLUMNS = [
  'two_factor.enabled_at as two_factor_enabled_at',
  'sessions.kind',
  'sessions.created_at as session_created_at',
  'sessions.last_seen_at',
  'sessions.expires_at',
  'sessions.public_id',
  'sessions.reauthenticated_at',
  // What the session proved (forward auth's rules ask for factors).
  'sessions.amr',
  'users.id',
  'users.email',
  'users.role',
  'users.blocked',
  'users.two_factor_required_since',
  // 2FA required of this account whatever the policy (an invitation's choice).
  'users.two_factor_required',
  'users.created_at',
  'users.last_sign_in_at',
  // The account's language: the UI adopts it on load (it never overwrites it unasked).
  'users.locale',
  // Its names, which GET /api/session answers with: read here rather than in a second query.
  'users.display_name',
  'users.given_name',
  'users.family_name',
  // The "since your last sign-in" notice, if one waits (GET /api/session shows it): no second read.
  'sign_in_warnings.warning as sign_in_warning',
] as const;

function sessionLookup(db: Kysely<DB>, tokenHash: string) {
  return (
    db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .leftJoin('two_factor', 'two_factor.user_id', 'sessions.user_id')
      .leftJoin('sign_in_warnings', 'sign_in_warnings.user_id', 'sessions.user_id')
      .select(SESSION_COLUMNS)
      // A security key alone is 2FA too: an EXISTS on the credentials' user_id index keeps this one read.
      .select((eb) =>
        eb
          .exists(eb.selectFrom('webauthn_credentials').select('webauthn_credentials.id').whereRef('webauthn_credentials.user_id', '=', 'sessions.user_id'))
          .as('has_security_key'),
      )
      .where('sessions.token_hash', '=', tokenHash)
  );
}

type SessionLookupRow = Awaited<ReturnType<ReturnType<typeof sessionLookup>['executeTakeFirstOrThrow']>>;

/** The lookup's result names in select-list order: SESSION_COLUMNS (alias, or column), then the EXISTS. */
const LOOKUP_NAMES = [...SESSION_COLUMNS.map((column) => column.split(' as ')[1] ?? column.split('.')[1]!), 'has_security_key'];
const LOOKUP_INDEX = Object.fromEntries(LOOKUP_NAMES.map((name, i) => [name, i])) as Record<keyof SessionLookupRow, number>;

/**
 * Every guarded request runs this query, so it is built once per database and then run by the
 * database's hot-path reader (a prepared statement) with new parameters: building a Kysely query
 * costs more than the indexed read itself.
 */
const compiledLookups = new WeakMap<Kysely<DB>, string>();

/** What a session check knows of the session. */
export type SessionState = Pick<SessionRow, 'kind' | 'created_at' | 'last_seen_at' | 'expires_at' | 'public_id' | 'reauthenticated_at'> & {
  amr: string | null;
};
/** What a session check knows of the account (as it is now). */
export type SessionUser = Pick<
  Selectable<UsersTable>,
  | 'id'
  | 'email'
  | 'role'
  | 'blocked'
  | 'two_factor_required_since'
  | 'two_factor_required'
  | 'created_at'
  | 'last_sign_in_at'
  | 'locale'
  | 'display_name'
  | 'given_name'
  | 'family_name'
>;

export interface SessionWithUser {
  session: SessionState;
  user: SessionUser;
  twoFactorEnabled: boolean;
  /** The sign-in warning waiting for the owner, as stored (JSON), or null. */
  signInWarning: string | null;
}

export function findSessionWithUser(db: Kysely<DB>, readRow: RowReader, tokenHash: string): Promise<SessionWithUser | undefined> {
  // One indexed read answers a session check: the session, its user, whether 2FA is on, any warning.
  let text = compiledLookups.get(db);
  if (text === undefined) {
    text = sessionLookup(db, '').compile().sql;
    compiledLookups.set(db, text);
  }
  // A plain .then, not an async function: one promise fewer on every guarded request.
  return readRow(text, [tokenHash]).then((values) => (values ? sessionFromRow(values) : undefined));
}

function sessionFromRow(values: unknown[]): SessionWithUser {
  // The reader answers the row as an array in the select list's order (no object built per read).
  const row = <K extends keyof SessionLookupRow>(name: K) => values[LOOKUP_INDEX[name]] as SessionLookupRow[K];
  return {
    signInWarning: row('sign_in_warning'),
    session: {
      kind: row('kind'),
      created_at: row('session_created_at'),
      last_seen_at: row('last_seen_at'),
      expires_at: row('expires_at'),
      public_id: row('public_id'),
      reauthenticated_at: row('reauthenticated_at'),
      amr: row('amr'),
    },
    user: {
      id: row('id'),
      email: row('email'),
      role: row('role'),
      blocked: row('blocked'),
      two_factor_required_since: row('two_factor_required_since'),
      two_factor_required: row('two_factor_required'),
      created_at: row('created_at'),
      last_sign_in_at: row('last_sign_in_at'),
      locale: row('locale'),
      display_name: row('display_name'),
      given_name: row('given_name'),
      family_name: row('family_name'),
    },
    // SQLite answers EXISTS with 0/1, PostgreSQL with a boolean.
    twoFactorEnabled: row('two_factor_enabled_at') != null || Boolean(row('has_security_key')),
  };
}

/** The session a verify-only cookie belongs to (forward auth), by the hash of that cookie's token. */
export async function findTokenHashByVerifyHash(db: Kysely<DB>, verifyTokenHash: string): Promise<string | undefined> {
  const row = await db.selectFrom('sessions').select('token_hash').where('verify_token_hash', '=', verifyTokenHash).executeTakeFirst();
  return row?.token_hash;
}

export async function updateSessionAmr(db: Kysely<DB>, tokenHash: string, amr: string): Promise<void> {
  await db.updateTable('sessions').set({ amr }).where('token_hash', '=', tokenHash).execute();
}

export async function touchSession(db: Kysely<DB>, tokenHash: string, now: number): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('token_hash', '=', tokenHash).execute();
}

export type StepUpFactor = SessionStepUpColumn['reauthenticated_factor'];

/**
 * Step-up: this session re-authenticated now, with this second factor (null: the password alone).
 * Only this one: other sessions of the account are untouched.
 */
export async function markReauthenticated(db: Kysely<DB>, tokenHash: string, now: number, factor: StepUpFactor, amr?: string): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ reauthenticated_at: now, reauthenticated_factor: factor, ...(amr === undefined ? {} : { amr }) })
    .where('token_hash', '=', tokenHash)
    .execute();
}

/**
 * Spends the step-up's proof of `factor` if this session's last step-up proved it at or after
 * `since`: a compare-and-set, so of two requests racing on one proof exactly one gets it. The
 * step-up window itself (reauthenticated_at) stays open.
 */
export async function takeStepUpFactor(db: Kysely<DB>, tokenHash: string, factor: NonNullable<StepUpFactor>, since: number): Promise<boolean> {
  const result = await db
    .updateTable('sessions')
    .set({ reauthenticated_factor: null })
    .where('token_hash', '=', tokenHash)
    .where('reauthenticated_factor', '=', factor)
    .where('reauthenticated_at', '>=', since)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The account's signed-in sessions (not pending sign-ins) that have not expired, most recently active first. */
export async function listUserSessions(db: Kysely<DB>, userId: string, now: number): Promise<SessionRow[]> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('kind', '!=', 'pending')
    .where('expires_at', '>', now)
    .orderBy('last_seen_at', 'desc')
    .orderBy('public_id')
    .execute();
}

/** Ends one of the account's sessions by its public id; answers whether it existed. */
export async function deleteUserSessionByPublicId(db: Kysely<DB>, userId: string, publicId: string): Promise<boolean> {
  const result = await db.deleteFrom('sessions').where('user_id', '=', userId).where('public_id', '=', publicId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Deletes one session; answers whether it existed (a pending sign-in is consumed exactly once). */
export async function deleteSession(db: Kysely<DB>, tokenHash: string): Promise<boolean> {
  const result = await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function deleteUserSessions(db: Kysely<DB>, userId: string, exceptTokenHash?: string): Promise<void> {
  let q = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (exceptTokenHash) q = q.where('token_hash', '!=', exceptTokenHash);
  await q.execute();
}

export async function deleteExpiredSessions(db: Kysely<DB>, now: number): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
}
