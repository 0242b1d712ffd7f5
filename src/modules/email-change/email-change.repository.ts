// SQL for email changes (table email_changes, migration 0024). Tokens are stored only as their
// SHA-256; each spend is one conditional UPDATE, so of two racing requests exactly one wins.
import type { Kysely, Selectable } from 'kysely';
import type { DB, EmailChangesTable } from '../../db/schema.js';

export type EmailChangeRow = Selectable<EmailChangesTable>;

export async function insertEmailChange(trx: Kysely<DB>, row: EmailChangeRow): Promise<void> {
  await trx.insertInto('email_changes').values(row).execute();
}

export async function findByConfirmHash(db: Kysely<DB>, tokenHash: string): Promise<EmailChangeRow | undefined> {
  return db.selectFrom('email_changes').selectAll().where('confirm_token_hash', '=', tokenHash).executeTakeFirst();
}

export async function findByUndoHash(db: Kysely<DB>, tokenHash: string): Promise<EmailChangeRow | undefined> {
  return db.selectFrom('email_changes').selectAll().where('undo_token_hash', '=', tokenHash).executeTakeFirst();
}

/** A new request, or an undo, ends the account's requests still waiting for their confirmation. */
export async function cancelPendingChanges(trx: Kysely<DB>, userId: string, now: number): Promise<void> {
  await trx
    .updateTable('email_changes')
    .set({ cancelled_at: now })
    .where('user_id', '=', userId)
    .where('confirmed_at', 'is', null)
    .where('cancelled_at', 'is', null)
    .execute();
}

/**
 * Confirms: true for exactly one of racing requests, and only while the link is neither used,
 * cancelled nor expired. The undo link's hash and window are set in the same statement.
 */
export async function spendConfirmToken(trx: Kysely<DB>, tokenHash: string, set: { now: number; undoTokenHash: string; undoUntil: number }): Promise<boolean> {
  const result = await trx
    .updateTable('email_changes')
    .set({ confirmed_at: set.now, undo_token_hash: set.undoTokenHash, undo_until: set.undoUntil })
    .where('confirm_token_hash', '=', tokenHash)
    .where('confirmed_at', 'is', null)
    .where('cancelled_at', 'is', null)
    .where('expires_at', '>', set.now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Undoes: true for exactly one of racing requests, and only within the undo window. */
export async function spendUndoToken(trx: Kysely<DB>, tokenHash: string, now: number): Promise<boolean> {
  const result = await trx
    .updateTable('email_changes')
    .set({ undone_at: now })
    .where('undo_token_hash', '=', tokenHash)
    .where('undone_at', 'is', null)
    .where('cancelled_at', 'is', null)
    .where('undo_until', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The addresses the account was moved to by confirmed changes since `since` that nobody undid. */
export async function addressesConfirmedSince(trx: Kysely<DB>, userId: string, since: number): Promise<string[]> {
  const rows = await trx
    .selectFrom('email_changes')
    .select('new_email')
    .where('user_id', '=', userId)
    .where('confirmed_at', '>=', since)
    .where('undone_at', 'is', null)
    .execute();
  return rows.map((r) => r.new_email);
}

/** Undoing a change undoes the confirmed ones since too (their own undo links stop working). */
export async function undoConfirmedSince(trx: Kysely<DB>, userId: string, since: number, now: number): Promise<void> {
  await trx
    .updateTable('email_changes')
    .set({ undone_at: now })
    .where('user_id', '=', userId)
    .where('confirmed_at', '>=', since)
    .where('undone_at', 'is', null)
    .execute();
}

/** Rows whose confirmation and undo windows both ended before `before`. */
export async function pruneEmailChanges(db: Kysely<DB>, before: number): Promise<void> {
  await db
    .deleteFrom('email_changes')
    .where('expires_at', '<', before)
    .where((eb) => eb.or([eb('undo_until', 'is', null), eb('undo_until', '<', before)]))
    .execute();
}
