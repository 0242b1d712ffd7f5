// SQL for sessions. Rows are keyed by the SHA-256 of the token; the token is never stored.
import { CompiledQuery, type Kysely, type Selectable } from 'kysely';
import type { DB, SessionsTable, UsersTable } from '../../db/schema.js';

export type SessionKind = SessionsTable['kind'];
export type SessionRow = Selectable<SessionsTable>;

export async function insertSession(db: Kysely<DB>, row: SessionRow & { amr?: string | null }): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

const SESSION_COLUMNS = [
  'two_factor.enabled_at as two_factor_enabled_at',
  'sessions.token_hash',
  'sessions.user_id',
  'sessions.kind',
  'sessions.created_at as session_created_at',
  'sessions.last_seen_at',
  'sessions.expires_at',
  'sessions.address',
  'sessions.verify_token_hash',
  'sessions.public_id',
  'sessions.user_agent',
  'sessions.reauthenticated_at',
  'users.id',
  'users.email',
  'users.role',
  'users.password_hash',
  'users.blocked',
  'users.created_at',
  'users.last_sign_in_at',
  'users.password_changed_at',
  'users.two_factor_required_since',
  'users.locale',
] as const;

function sessionLookup(db: Kysely<DB>, tokenHash: string) {
  return (
    db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .leftJoin('two_factor', 'two_factor.user_id', 'sessions.user_id')
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

/**
 * Every guarded request runs this query, so it is built once per database and then executed with
 * new parameters: building a Kysely query costs more than the indexed read itself.
 */
const compiledLookups = new WeakMap<Kysely<DB>, string>();

export async function findSessionWithUser(
  db: Kysely<DB>,
  tokenHash: string,
): Promise<{ session: SessionRow; user: Selectable<UsersTable>; twoFactorEnabled: boolean } | undefined> {
  // One indexed read answers a session check: the session, its user and whether 2FA is on.
  let text = compiledLookups.get(db);
  if (text === undefined) {
    text = sessionLookup(db, '').compile().sql;
    compiledLookups.set(db, text);
  }
  const result = await db.executeQuery<SessionLookupRow>(CompiledQuery.raw(text, [tokenHash]));
  const row = result.rows[0];
  if (!row) return undefined;
  return {
    session: {
      token_hash: row.token_hash,
      user_id: row.user_id,
      kind: row.kind,
      created_at: row.session_created_at,
      last_seen_at: row.last_seen_at,
      expires_at: row.expires_at,
      address: row.address,
      verify_token_hash: row.verify_token_hash,
      public_id: row.public_id,
      user_agent: row.user_agent,
      reauthenticated_at: row.reauthenticated_at,
    },
    user: {
      id: row.id,
      email: row.email,
      role: row.role,
      password_hash: row.password_hash,
      blocked: row.blocked,
      created_at: row.created_at,
      last_sign_in_at: row.last_sign_in_at,
      password_changed_at: row.password_changed_at,
      two_factor_required_since: row.two_factor_required_since,
      locale: row.locale,
    },
    // SQLite answers EXISTS with 0/1, PostgreSQL with a boolean.
    twoFactorEnabled: row.two_factor_enabled_at != null || Boolean(row.has_security_key),
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

/** Step-up: this session re-authenticated now (only this one: other sessions of the account are untouched). */
export async function markReauthenticated(db: Kysely<DB>, tokenHash: string, now: number): Promise<void> {
  await db.updateTable('sessions').set({ reauthenticated_at: now }).where('token_hash', '=', tokenHash).execute();
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
