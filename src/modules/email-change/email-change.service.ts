// An email change, asked for on the security page behind a step-up. A link to the new address
// confirms it (24 hours); the old address is then told, with a link that undoes it for 72 hours and
// signs everyone out (the change may have been a thief's). The answer to a request is the same
// whether or not another account has the address, so a signed-in person cannot probe for accounts:
// a taken address only hears of the attempt. Tokens are random 256-bit values stored only as their
// SHA-256; every spend is a conditional UPDATE inside the transaction that makes the change.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { countRequest } from '../../db/request-counters.js';
import { AppError } from '../../http/errors.js';
import { generateSessionToken, hashSessionToken } from '../../crypto/tokens.js';
import type { EmailChangeDone, EmailStatus } from '../../shared/api-types.js';
import { type AccountRef, insertAuditEvent } from '../audit/index.js';
import { type MailQueue, toMailLocale } from '../mail/index.js';
import { revokePendingInvitationsFor } from '../onboarding/index.js';
import { spendAllResetTokens } from '../password-reset/index.js';
import type { EndAccountAccess } from '../sessions/index.js';
import { deliverableEmail, findUserByEmail, findUserById, isUniqueViolation, replaceUserEmail, type UserRow } from '../users/index.js';
import * as repo from './email-change.repository.js';

export const CONFIRM_LINK_HOURS = 24;
export const UNDO_HOURS = 72;
/** Requests per account per hour (beyond it the answer is the same, and nothing is sent). */
export const EMAIL_CHANGES_PER_HOUR = 3;
const HOUR_MS = 3_600_000;

export interface EmailChangeDeps {
  db: Kysely<DB>;
  mail: Pick<MailQueue, 'link' | 'enqueue'>;
  clock: () => number;
  /** Ends every session and OpenID Connect grant of the account (services.ts). */
  endAccountAccess: EndAccountAccess;
}

export class EmailChangeService {
  constructor(private readonly deps: EmailChangeDeps) {}

  /** GET /api/me/email */
  async status(userId: string): Promise<EmailStatus> {
    const user = await this.accountOf(userId);
    return { email: user.email, managedByDirectory: user.source === 'directory' };
  }

  /**
   * POST /api/me/email: mails the new address a link, or (when another account has it) tells that
   * account of the attempt and changes nothing. The caller is answered the same either way.
   */
  async request(me: AccountRef, email: string, address: string | null): Promise<{ sentTo: string }> {
    const { db, clock, mail } = this.deps;
    const user = await this.accountOf(me.id);
    if (user.source === 'directory') throw new AppError('email_managed_by_directory');
    // One address, checked after normalising (a full-width @ or comma must not make two).
    const newEmail = deliverableEmail(email);
    if (newEmail === user.email) throw new AppError('invalid_request', 'This is already your email.');
    await db.transaction().execute(async (trx) => {
      const now = clock();
      const count = await countRequest(trx, `email-change:${user.id}`, now, HOUR_MS);
      // Counted whatever follows, so the count says nothing about the address either.
      if (count <= EMAIL_CHANGES_PER_HOUR) {
        const owner = await findUserByEmail(trx, newEmail);
        // A new request replaces one still waiting (its link stops working), and writes its row, in
        // both cases: a taken address's row is born cancelled (its link is never mailed), so the two
        // do the same database work and only the mail differs.
        await repo.cancelPendingChanges(trx, user.id, now);
        const token = generateSessionToken();
        await repo.insertEmailChange(trx, {
          id: randomUUID(),
          user_id: user.id,
          old_email: user.email,
          new_email: newEmail,
          confirm_token_hash: hashSessionToken(token),
          undo_token_hash: null,
          created_at: now,
          expires_at: now + CONFIRM_LINK_HOURS * HOUR_MS,
          confirmed_at: null,
          undo_until: null,
          undone_at: null,
          cancelled_at: owner ? now : null,
        });
        if (owner) {
          await mail.enqueue(trx, { to: owner.email, locale: toMailLocale(owner.locale), template: { kind: 'email_change_taken' } });
        } else {
          const link = mail.link(`/email-change?token=${encodeURIComponent(token)}`);
          await mail.enqueue(trx, {
            to: newEmail,
            locale: toMailLocale(user.locale),
            template: { kind: 'email_change_confirm', link, hours: CONFIRM_LINK_HOURS, account: user.email },
          });
        }
      }
      // The same event whatever happened: the owner reads their own events, and it must not tell them either.
      await insertAuditEvent(trx, { kind: 'user.email_change_requested', actor: me, subject: me, address, details: { to: newEmail } }, now);
    });
    return { sentTo: newEmail };
  }

  /** POST /api/email-change/confirm: the account takes the new address; the old one is told, with the undo link. */
  async confirm(token: string, address: string | null): Promise<EmailChangeDone> {
    const { db, clock, mail } = this.deps;
    const tokenHash = hashOf(token);
    const row = usableConfirmation(await repo.findByConfirmHash(db, tokenHash), clock());
    return this.changing(async (trx) => {
      const now = clock();
      const undoToken = generateSessionToken();
      const spent = await repo.spendConfirmToken(trx, tokenHash, { now, undoTokenHash: hashSessionToken(undoToken), undoUntil: now + UNDO_HOURS * HOUR_MS });
      // The other of two racing requests finds it spent: the reason as the row now says.
      if (!spent) usableConfirmation(await repo.findByConfirmHash(trx, tokenHash), now, 'email_change_used');
      const user = await findUserById(trx, row.user_id);
      if (!user) throw new AppError('invalid_email_change');
      if (user.source === 'directory') throw new AppError('email_managed_by_directory');
      // The account was blocked, or its password changed (a reset, perhaps the owner's recovery),
      // since this was asked for: whoever asked may no longer be the owner.
      if (user.blocked === 1 || user.password_changed_at > row.created_at) throw new AppError('email_change_outdated');
      if (!(await replaceUserEmail(trx, user.id, row.old_email, row.new_email))) throw new AppError('email_change_outdated');
      await revokePendingInvitationsFor(trx, row.new_email, now);
      // Reset links went to the old mailbox: they would otherwise still open the account.
      await spendAllResetTokens(trx, user.id, now);
      const link = mail.link(`/email-change/undo?token=${encodeURIComponent(undoToken)}`);
      await mail.enqueue(trx, {
        to: row.old_email,
        locale: toMailLocale(user.locale),
        template: { kind: 'email_changed', link, newEmail: row.new_email, hours: UNDO_HOURS },
      });
      const ref = { id: user.id, email: row.new_email };
      await insertAuditEvent(trx, { kind: 'user.email_changed', actor: ref, subject: ref, address, details: { from: row.old_email, to: row.new_email } }, now);
      return { email: row.new_email };
    });
  }

  /**
   * POST /api/email-change/undo: the old address back, every session and grant ended, reset links
   * spent. It also works after later changes (a thief who moved the account on again must not
   * leave the owner's link dead): those are undone with it.
   */
  async undo(token: string, address: string | null): Promise<EmailChangeDone> {
    const { db, clock } = this.deps;
    const tokenHash = hashOf(token);
    const row = usableUndo(await repo.findByUndoHash(db, tokenHash), clock());
    return this.changing(async (trx) => {
      const now = clock();
      if (!(await repo.spendUndoToken(trx, tokenHash, now))) usableUndo(await repo.findByUndoHash(trx, tokenHash), now, 'email_change_used');
      const user = await findUserById(trx, row.user_id);
      if (!user) throw new AppError('invalid_email_change');
      const since = row.confirmed_at ?? 0;
      const moves = [row.new_email, ...(await repo.addressesConfirmedSince(trx, user.id, since))];
      if (!moves.includes(user.email) || !(await replaceUserEmail(trx, user.id, user.email, row.old_email))) throw new AppError('email_change_outdated');
      await repo.undoConfirmedSince(trx, user.id, since, now);
      await repo.cancelPendingChanges(trx, user.id, now);
      await spendAllResetTokens(trx, user.id, now);
      await this.deps.endAccountAccess(trx, user.id);
      const ref = { id: user.id, email: row.old_email };
      await insertAuditEvent(
        trx,
        { kind: 'user.email_change_undone', actor: ref, subject: ref, address, details: { from: user.email, to: row.old_email } },
        now,
      );
      return { email: row.old_email };
    });
  }

  private async accountOf(userId: string): Promise<UserRow> {
    const user = await findUserById(this.deps.db, userId);
    if (!user) throw new AppError('unauthenticated');
    return user;
  }

  /** One transaction; another account taking the address meanwhile (the unique index) changes nothing. */
  private async changing(work: (trx: Kysely<DB>) => Promise<EmailChangeDone>): Promise<EmailChangeDone> {
    try {
      return await this.deps.db.transaction().execute(work);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('email_taken');
      throw error;
    }
  }
}

/** Housekeeping: rows whose links both ended more than 30 days ago (until then a late link says "expired"). */
export async function pruneEmailChanges(db: Kysely<DB>, now: number): Promise<void> {
  await repo.pruneEmailChanges(db, now - 30 * 24 * HOUR_MS);
}

/** A link's token as stored; a token of any other shape is not worth a database read. */
function hashOf(token: string): string {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) throw new AppError('invalid_email_change');
  return hashSessionToken(token);
}

/**
 * The change behind a confirmation link, or why the link no longer works (each reason its own
 * code). `otherwise`: the code when the row shows no reason (a racing request spent it first).
 */
function usableConfirmation(row: repo.EmailChangeRow | undefined, now: number, otherwise?: 'email_change_used'): repo.EmailChangeRow {
  if (!row) throw new AppError('invalid_email_change');
  if (row.confirmed_at !== null) throw new AppError('email_change_used');
  if (row.cancelled_at !== null) throw new AppError('email_change_cancelled');
  if (row.expires_at <= now) throw new AppError('email_change_expired');
  if (otherwise) throw new AppError(otherwise);
  return row;
}

/** The confirmed change behind an undo link, or why the link no longer works. */
function usableUndo(row: repo.EmailChangeRow | undefined, now: number, otherwise?: 'email_change_used'): repo.EmailChangeRow {
  if (!row) throw new AppError('invalid_email_change');
  if (row.undone_at !== null) throw new AppError('email_change_used');
  if (row.undo_until === null || row.undo_until <= now) throw new AppError('email_change_expired');
  if (otherwise) throw new AppError(otherwise);
  return row;
}
