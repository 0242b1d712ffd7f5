// SQL for first-run setup links, the setup claim, invitations and self-registrations. Tokens are stored only as their
// SHA-256; each spend is one conditional UPDATE (or INSERT), so of two racing requests exactly one wins.
import type { Kysely, Selectable } from 'kysely';
import type { DB, InvitationsTable, RegistrationsTable } from '../../db/schema.js';

export type InvitationRow = Selectable<InvitationsTable>;
export type RegistrationRow = Selectable<RegistrationsTable>;

const SETUP_CLAIM_ID = 'first-administrator';

export async function insertSetupToken(db: Kysely<DB>, row: { tokenHash: string; now: number; expiresAt: number }): Promise<void> {
  await db.insertInto('setup_tokens').values({ token_hash: row.tokenHash, created_at: row.now, expires_at: row.expiresAt }).execute();
}

export async function findSetupToken(db: Kysely<DB>, tokenHash: string) {
  return db.selectFrom('setup_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function isSetupClaimed(db: Kysely<DB>): Promise<boolean> {
  return (await db.selectFrom('setup_claim').select('id').where('id', '=', SETUP_CLAIM_ID).executeTakeFirst()) !== undefined;
}

/**
 * Claims the first-run setup for this user: true for exactly one caller ever. The claim's fixed
 * primary key is the lock: a second setup (another link, another instance) waits for the first's
 * commit and then finds the row there.
 */
export async function claimSetup(trx: Kysely<DB>, userId: string, now: number): Promise<boolean> {
  // RETURNING answers the row only when it was inserted, on both dialects.
  const inserted = await trx
    .insertInto('setup_claim')
    .values({ id: SETUP_CLAIM_ID, user_id: userId, claimed_at: now })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function deleteSetupTokens(db: Kysely<DB>, before?: number): Promise<void> {
  let query = db.deleteFrom('setup_tokens');
  if (before !== undefined) query = query.where('expires_at', '<', before);
  await query.execute();
}

export async function insertInvitation(db: Kysely<DB>, row: InvitationRow): Promise<void> {
  await db.insertInto('invitations').values(row).execute();
}

export async function findInvitationByToken(db: Kysely<DB>, tokenHash: string): Promise<InvitationRow | undefined> {
  return db.selectFrom('invitations').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function findInvitation(db: Kysely<DB>, id: string): Promise<InvitationRow | undefined> {
  return db.selectFrom('invitations').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Invitations still waiting (neither accepted nor revoked) for these emails. */
export async function pendingInvitationsFor(db: Kysely<DB>, emails: readonly string[]): Promise<InvitationRow[]> {
  if (emails.length === 0) return [];
  return db
    .selectFrom('invitations')
    .selectAll()
    .where('email', 'in', [...emails])
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .execute();
}

/** The newest first: pending ones and those that ended in the last `sinceEnded` ms. */
export async function listInvitations(db: Kysely<DB>, endedAfter: number, limit: number): Promise<InvitationRow[]> {
  return db
    .selectFrom('invitations')
    .selectAll()
    .where((eb) =>
      eb.or([eb.and([eb('accepted_at', 'is', null), eb('revoked_at', 'is', null)]), eb('accepted_at', '>', endedAfter), eb('revoked_at', '>', endedAfter)]),
    )
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** Accepts: exactly one of racing requests gets true, only while the link is neither used, revoked nor expired. */
export async function spendInvitation(trx: Kysely<DB>, tokenHash: string, userId: string, now: number): Promise<boolean> {
  const result = await trx
    .updateTable('invitations')
    .set({ accepted_at: now, user_id: userId })
    .where('token_hash', '=', tokenHash)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** A new link for a pending invitation (the old one stops working) and a new expiry. */
export async function renewInvitation(trx: Kysely<DB>, id: string, row: { tokenHash: string; now: number; expiresAt: number }): Promise<boolean> {
  const result = await trx
    .updateTable('invitations')
    .set({ token_hash: row.tokenHash, sent_at: row.now, expires_at: row.expiresAt })
    .where('id', '=', id)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function revokeInvitation(trx: Kysely<DB>, id: string, now: number): Promise<boolean> {
  const result = await trx
    .updateTable('invitations')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Revokes every pending invitation of an email (an account now has it, or a new invitation replaces them). */
export async function revokePendingFor(trx: Kysely<DB>, email: string, now: number): Promise<void> {
  await trx
    .updateTable('invitations')
    .set({ revoked_at: now })
    .where('email', '=', email)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function pruneInvitations(db: Kysely<DB>, before: number): Promise<void> {
  await db
    .deleteFrom('invitations')
    .where((eb) => eb.or([eb('accepted_at', '<', before), eb('revoked_at', '<', before), eb('expires_at', '<', before)]))
    .execute();
}

export async function insertRegistration(trx: Kysely<DB>, row: RegistrationRow): Promise<void> {
  await trx.insertInto('registrations').values(row).execute();
}

export async function findRegistrationByToken(db: Kysely<DB>, tokenHash: string): Promise<RegistrationRow | undefined> {
  return db.selectFrom('registrations').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** Completes a registration: exactly one of racing requests gets true, only while the link is unused and unexpired. */
export async function spendRegistration(trx: Kysely<DB>, tokenHash: string, userId: string, now: number): Promise<boolean> {
  const result = await trx
    .updateTable('registrations')
    .set({ used_at: now, user_id: userId })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function pruneRegistrations(db: Kysely<DB>, before: number): Promise<void> {
  await db.deleteFrom('registrations').where('expires_at', '<', before).execute();
}
