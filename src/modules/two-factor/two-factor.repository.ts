// SQL for TOTP secrets and backup codes. Every change that decides a sign-in is one atomic
// statement (compare-and-set on the last used step, spend-once on a backup code) or one transaction.
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { BackupCodesTable, DB, TwoFactorTable } from '../../db/schema.js';
import { deleteAllCredentials, hasCredentials } from '../webauthn/index.js';

export type TwoFactorRow = Selectable<TwoFactorTable>;
export type BackupCodeRow = Selectable<BackupCodesTable>;

export async function findTwoFactor(db: Kysely<DB>, userId: string): Promise<TwoFactorRow | undefined> {
  return db.selectFrom('two_factor').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

/**
 * Stores (or replaces) a pending setup. Answers false when 2FA is already enabled. One atomic
 * upsert: concurrent setups (on any instances) each replace the pending secret or find it
 * enabled; none can lose an insert race with a duplicate key, and an enabled secret is never touched.
 */
export async function savePendingSetup(db: Kysely<DB>, userId: string, secretCiphertext: string, now: number): Promise<boolean> {
  const result = await db
    .insertInto('two_factor')
    .values({ user_id: userId, secret_ciphertext: secretCiphertext, enabled_at: null, last_used_step: null, recent_offsets: '[]', created_at: now })
    .onConflict((oc) =>
      oc
        .column('user_id')
        .doUpdateSet({ secret_ciphertext: secretCiphertext, created_at: now, last_used_step: null, recent_offsets: '[]' })
        .where('two_factor.enabled_at', 'is', null),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export interface NewBackupCode {
  salt: string;
  codeHash: string;
}

async function replaceCodes(trx: Kysely<DB>, userId: string, codes: NewBackupCode[], now: number): Promise<void> {
  await trx.deleteFrom('backup_codes').where('user_id', '=', userId).execute();
  await trx
    .insertInto('backup_codes')
    .values(codes.map((c) => ({ id: randomUUID(), user_id: userId, salt: c.salt, code_hash: c.codeHash, used_at: null, created_at: now })))
    .execute();
}

/** Runs inside a change's transaction (the mail outbox: the notice exists exactly when the change does). */
export type InTransaction = (trx: Kysely<DB>) => Promise<void>;

/**
 * Turns 2FA on with its first set of backup codes, in one transaction: either both exist or
 * neither. The enrolment code's step is recorded as used. Answers false when there was no
 * pending setup to enable (already enabled, or removed meanwhile).
 */
export async function enableTwoFactor(
  db: Kysely<DB>,
  input: { userId: string; secretCiphertext: string; step: number; recentOffsets: number[]; codes: NewBackupCode[]; now: number },
  alsoDo?: InTransaction,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('two_factor')
      .set({ enabled_at: input.now, last_used_step: input.step, recent_offsets: JSON.stringify(input.recentOffsets) })
      .where('user_id', '=', input.userId)
      .where('enabled_at', 'is', null)
      // The secret the code was checked against must still be the pending one (no setup raced in).
      .where('secret_ciphertext', '=', input.secretCiphertext)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false;
    await replaceCodes(trx, input.userId, input.codes, input.now);
    await alsoDo?.(trx);
    return true;
  });
}

/**
 * Compare-and-set of the last used step: succeeds for exactly one of any number of racing
 * requests (or instances) presenting codes of the same step, and never for an older step.
 */
export async function consumeTotpStep(db: Kysely<DB>, userId: string, step: number, recentOffsets: number[]): Promise<boolean> {
  const result = await db
    .updateTable('two_factor')
    .set({ last_used_step: step, recent_offsets: JSON.stringify(recentOffsets) })
    .where('user_id', '=', userId)
    .where('enabled_at', 'is not', null)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * The newest accepted codes across accounts, one row per account (its last used step, the
 * phone's time, and its recent offsets): the phones' witness of the server clock (clock-health).
 */
export async function recentAcceptedCodes(
  db: Kysely<DB>,
  sinceStep: number,
  limit: number,
): Promise<Array<Pick<TwoFactorRow, 'last_used_step' | 'recent_offsets'>>> {
  return db
    .selectFrom('two_factor')
    .select(['last_used_step', 'recent_offsets'])
    .where('enabled_at', 'is not', null)
    .where('last_used_step', '>=', sinceStep)
    .orderBy('last_used_step', 'desc')
    .limit(limit)
    .execute();
}

export async function replaceBackupCodes(db: Kysely<DB>, userId: string, codes: NewBackupCode[], now: number, alsoDo?: InTransaction): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const active = await trx.selectFrom('two_factor').select('user_id').where('user_id', '=', userId).where('enabled_at', 'is not', null).executeTakeFirst();
    if (!active) return false;
    await replaceCodes(trx, userId, codes, now);
    await alsoDo?.(trx);
    return true;
  });
}

export async function unusedBackupCodes(db: Kysely<DB>, userId: string): Promise<BackupCodeRow[]> {
  return db.selectFrom('backup_codes').selectAll().where('user_id', '=', userId).where('used_at', 'is', null).execute();
}

export async function countUnusedBackupCodes(db: Kysely<DB>, userId: string): Promise<number> {
  const row = await db
    .selectFrom('backup_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Spends a backup code: exactly one of any racing requests gets true. */
export async function spendBackupCode(db: Kysely<DB>, codeId: string, now: number): Promise<boolean> {
  const result = await db.updateTable('backup_codes').set({ used_at: now }).where('id', '=', codeId).where('used_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Removes the app's secret in one transaction, with every security key when `keys` (an
 * administrator's or the CLI's "turn 2FA off"), and the backup codes unless a key is left (they
 * belong to 2FA, not to one factor). Answers whether a removed factor was on (`alsoDo` runs in
 * the same transaction, only then).
 */
export async function removeTwoFactor(db: Kysely<DB>, userId: string, options: { keys: boolean; alsoDo?: InTransaction } = { keys: true }): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await findTwoFactor(trx, userId);
    const keysRemoved = options.keys ? await deleteAllCredentials(trx, userId) : 0;
    const keyLeft = options.keys ? false : await hasCredentials(trx, userId);
    if (!keyLeft) await trx.deleteFrom('backup_codes').where('user_id', '=', userId).execute();
    await trx.deleteFrom('two_factor').where('user_id', '=', userId).execute();
    const wasOn = row?.enabled_at != null || keysRemoved > 0;
    if (wasOn) await options.alsoDo?.(trx);
    return wasOn;
  });
}

export async function usersWithTwoFactor(db: Kysely<DB>, userIds: string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await db.selectFrom('two_factor').select('user_id').where('user_id', 'in', userIds).where('enabled_at', 'is not', null).execute();
  return new Set(rows.map((r) => r.user_id));
}

/** Every stored secret, for re-encryption under a new key (`gatehouse rotate-key`). */
export async function listSecretCiphertexts(db: Kysely<DB>): Promise<Array<{ user_id: string; secret_ciphertext: string }>> {
  return db.selectFrom('two_factor').select(['user_id', 'secret_ciphertext']).execute();
}

export async function updateSecretCiphertext(db: Kysely<DB>, userId: string, secretCiphertext: string): Promise<void> {
  await db.updateTable('two_factor').set({ secret_ciphertext: secretCiphertext }).where('user_id', '=', userId).execute();
}
