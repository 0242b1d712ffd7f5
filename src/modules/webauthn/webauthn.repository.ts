// SQL for security keys and passkeys (WebAuthn credentials) and their ceremony challenges.
// Everything that decides a sign-in is one atomic statement: a challenge is consumed by a
// delete that only one request can win, and the signature counter only moves forward.
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { DB, WebauthnChallengesTable, WebauthnCredentialsTable } from '../../db/schema.js';

export type CredentialRow = Selectable<WebauthnCredentialsTable>;
export type ChallengePurpose = WebauthnChallengesTable['purpose'];

export async function listCredentials(db: Kysely<DB>, userId: string): Promise<CredentialRow[]> {
  return db.selectFrom('webauthn_credentials').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
}

export async function findCredential(db: Kysely<DB>, id: string): Promise<CredentialRow | undefined> {
  return db.selectFrom('webauthn_credentials').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function hasCredentials(db: Kysely<DB>, userId: string): Promise<boolean> {
  const row = await db.selectFrom('webauthn_credentials').select('id').where('user_id', '=', userId).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Which of these accounts have at least one key (the Users table's factors). */
export async function usersWithCredentials(db: Kysely<DB>, userIds: string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await db.selectFrom('webauthn_credentials').select('user_id').distinct().where('user_id', 'in', userIds).execute();
  return new Set(rows.map((r) => r.user_id));
}

export interface NewBackupCodeRow {
  salt: string;
  codeHash: string;
}

/**
 * Stores a new credential. When it is the account's first factor of any kind (no other key, no
 * app), the backup codes given are stored with it in the same transaction (backup codes come with
 * the first factor); answers whether they were.
 */
export async function insertCredential(db: Kysely<DB>, row: CredentialRow, firstFactorCodes: NewBackupCodeRow[]): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const [otherKey, app] = await Promise.all([
      trx.selectFrom('webauthn_credentials').select('id').where('user_id', '=', row.user_id).limit(1).executeTakeFirst(),
      trx.selectFrom('two_factor').select('user_id').where('user_id', '=', row.user_id).where('enabled_at', 'is not', null).executeTakeFirst(),
    ]);
    await trx.insertInto('webauthn_credentials').values(row).execute();
    if (otherKey || app) return false;
    // Backup codes are the two-factor module's table; the set is replaced exactly as enabling the app does.
    await trx.deleteFrom('backup_codes').where('user_id', '=', row.user_id).execute();
    await trx
      .insertInto('backup_codes')
      .values(
        firstFactorCodes.map((c) => ({
          id: randomUUID(),
          user_id: row.user_id,
          salt: c.salt,
          code_hash: c.codeHash,
          used_at: null,
          created_at: row.created_at,
        })),
      )
      .execute();
    return true;
  });
}

export async function renameCredential(db: Kysely<DB>, userId: string, id: string, name: string): Promise<boolean> {
  const result = await db.updateTable('webauthn_credentials').set({ name }).where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Removes one of the account's keys. When it was the last factor (no other key, no app), the
 * backup codes go too: 2FA is then off, as when the app is disabled. Answers whether it existed.
 */
/**
 * Removes one key; answers null when there was none, else whether it was the account's last
 * second factor (no other key, no app): then the backup codes go too and `whenLast` runs, all in
 * one transaction (2FA is off: the caller's notice is queued with the change).
 */
export async function deleteCredential(
  db: Kysely<DB>,
  userId: string,
  id: string,
  whenLast?: (trx: Kysely<DB>) => Promise<void>,
): Promise<{ lastFactor: boolean } | null> {
  return db.transaction().execute(async (trx) => {
    const result = await trx.deleteFrom('webauthn_credentials').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    if (Number(result.numDeletedRows) !== 1) return null;
    const [otherKey, app] = await Promise.all([
      trx.selectFrom('webauthn_credentials').select('id').where('user_id', '=', userId).limit(1).executeTakeFirst(),
      trx.selectFrom('two_factor').select('user_id').where('user_id', '=', userId).where('enabled_at', 'is not', null).executeTakeFirst(),
    ]);
    const lastFactor = !otherKey && !app;
    if (lastFactor) {
      await trx.deleteFrom('backup_codes').where('user_id', '=', userId).execute();
      await whenLast?.(trx);
    }
    return { lastFactor };
  });
}

/** Every key of the account (the administrator's "Disable two-factor authentication"), inside its transaction. */
export async function deleteAllCredentials(trx: Kysely<DB>, userId: string): Promise<number> {
  const result = await trx.deleteFrom('webauthn_credentials').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Records a use. The counter only moves forward: of racing requests carrying the same counter,
 * one wins; a counter of 0 stays 0 (authenticators without one, such as synced passkeys).
 */
export async function recordUse(db: Kysely<DB>, id: string, counter: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('webauthn_credentials')
    .set({ counter, last_used_at: now })
    .where('id', '=', id)
    .where('counter', counter === 0 ? '=' : '<', counter)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function saveChallenge(db: Kysely<DB>, row: Selectable<WebauthnChallengesTable>): Promise<void> {
  await db.insertInto('webauthn_challenges').values(row).execute();
}

/**
 * Consumes a challenge: of any number of requests (on any instance) presenting it, exactly one
 * gets true, and only for the purpose and account it was issued for and before it expires.
 */
export async function consumeChallenge(db: Kysely<DB>, challenge: string, purpose: ChallengePurpose, userId: string | null, now: number): Promise<boolean> {
  let q = db.deleteFrom('webauthn_challenges').where('challenge', '=', challenge).where('purpose', '=', purpose).where('expires_at', '>', now);
  q = userId === null ? q.where('user_id', 'is', null) : q.where('user_id', '=', userId);
  const result = await q.executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export async function deleteExpiredChallenges(db: Kysely<DB>, now: number): Promise<void> {
  await db.deleteFrom('webauthn_challenges').where('expires_at', '<=', now).execute();
}
