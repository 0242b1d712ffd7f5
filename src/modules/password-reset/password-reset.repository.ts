// SQL for password-reset tokens (only their SHA-256) and the request counters of the reset form.
import type { Kysely, Selectable } from 'kysely';
import type { DB, PasswordResetTokensTable } from '../../db/schema.js';

export type ResetTokenRow = Selectable<PasswordResetTokensTable>;

export async function insertResetToken(trx: Kysely<DB>, row: { tokenHash: string; userId: string; now: number; expiresAt: number }): Promise<void> {
  await trx
    .insertInto('password_reset_tokens')
    .values({ token_hash: row.tokenHash, user_id: row.userId, created_at: row.now, expires_at: row.expiresAt, used_at: null })
    .execute();
}

export async function findResetToken(db: Kysely<DB>, tokenHash: string): Promise<ResetTokenRow | undefined> {
  return db.selectFrom('password_reset_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** Spends the token: exactly one of any racing requests gets true, and only before it expires. */
export async function spendResetToken(trx: Kysely<DB>, tokenHash: string, now: number): Promise<boolean> {
  const result = await trx
    .updateTable('password_reset_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Once a password is set, every other outstanding link of the account stops working. */
export async function spendAllResetTokens(trx: Kysely<DB>, userId: string, now: number): Promise<void> {
  await trx.updateTable('password_reset_tokens').set({ used_at: now }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
}

export async function pruneResetTokens(db: Kysely<DB>, before: number): Promise<void> {
  await db.deleteFrom('password_reset_tokens').where('expires_at', '<', before).execute();
}

// The request counters live in db/request-counters.ts: registration and email changes count theirs too.
export { countRequest, pruneRequestCounters } from '../../db/request-counters.js';
