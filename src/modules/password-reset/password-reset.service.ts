// Password reset by email. A request answers the same whatever the email, and does the same
// database work (a counter, a lookup, one transaction) either way; the link carries a random
// 256-bit token stored only as its SHA-256, works once and for 30 minutes. Completing it does not
// skip the second factor: an account with 2FA gives an app or backup code (counted by the attempt
// limiter) before the new password is taken. Success ends every session of the account.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../http/errors.js';
import { keyedHash } from '../../crypto/secret-box.js';
import { generateSessionToken, hashSessionToken } from '../../crypto/tokens.js';
import type { AccountRef, Actor, RecordAudit } from '../audit/index.js';
import type { PasswordHasher } from '../passwords/index.js';
import { assertStrongPassword } from '../passwords/index.js';
import type { EndAccountAccess } from '../sessions/index.js';
import type { AttemptLimiter } from '../attempt-limits/index.js';
import { resetCounterKey } from '../../core/counter-keys.js';
import { AMR_PASSWORD, AMR_TWO_FACTOR } from '../../core/amr.js';
import { type CodeRefusal, refusedCodeError, type TwoFactorService } from '../two-factor/index.js';
import { findUserByEmail, findUserById, normalizeEmail, updatePasswordHash, type UserRow } from '../users/index.js';
import type { MailQueue } from '../mail/index.js';
import * as repo from './password-reset.repository.js';
import { toMailLocale } from '../mail/index.js';

export const RESET_LINK_MINUTES = 30;
/** Reset mails per email address per hour (beyond it the answer is the same, and nothing is sent). */
export const RESET_REQUESTS_PER_HOUR = 3;
const HOUR_MS = 3_600_000;

export interface PasswordResetDeps {
  db: Kysely<DB>;
  hasher: PasswordHasher;
  limiter: AttemptLimiter;
  twoFactor: TwoFactorService;
  mail: MailQueue;
  audit: RecordAudit;
  clock: () => number;
  /** Keys the request counters, so emails are not stored in clear. */
  emailCounterKey: Buffer;
  /** Whether mail leaves the machine (SMTP); without it an administrator is shown the link. */
  smtpConfigured: boolean;
  /** Ends every session and OpenID Connect grant of the account (services.ts). */
  endAccountAccess: EndAccountAccess;
}

export class PasswordResetService {
  constructor(private readonly deps: PasswordResetDeps) {}

  private async issueToken(trx: Kysely<DB>, userId: string, now: number): Promise<string> {
    const token = generateSessionToken();
    await repo.insertResetToken(trx, { tokenHash: hashSessionToken(token), userId, now, expiresAt: now + RESET_LINK_MINUTES * 60_000 });
    return this.deps.mail.link(`/reset-password?token=${encodeURIComponent(token)}`);
  }

  private async queueResetMail(trx: Kysely<DB>, user: UserRow, now: number): Promise<void> {
    const link = await this.issueToken(trx, user.id, now);
    await this.deps.mail.enqueue(trx, {
      to: user.email,
      locale: toMailLocale(user.locale),
      template: { kind: 'password_reset', link, minutes: RESET_LINK_MINUTES },
    });
  }

  /** POST /api/password-reset: always the same outcome for the caller. */
  async request(email: string, address: string | null): Promise<void> {
    const { db, clock } = this.deps;
    const now = clock();
    const emailHash = keyedHash(this.deps.emailCounterKey, normalizeEmail(email));
    const outcome = await db.transaction().execute(async (trx) => {
      const count = await repo.countRequest(trx, `reset:${emailHash}`, now, HOUR_MS);
      const user = await findUserByEmail(trx, email);
      if (!user) return { subject: null, sent: false };
      const subject = { id: user.id, email: user.email };
      // A directory account's password is the directory's: no link (the caller is told the same as for anyone).
      // Nor for an account waiting for approval: a reset signs in, which approval has not allowed yet.
      if (count > RESET_REQUESTS_PER_HOUR || user.source === 'directory' || user.awaiting_approval === 1) return { subject, sent: false };
      await this.queueResetMail(trx, user, now);
      return { subject, sent: true };
    });
    await this.deps.audit({
      kind: 'password_reset.requested',
      subject: outcome.subject,
      address,
      details: outcome.subject ? { sent: outcome.sent } : { sent: false, emailHash },
    });
  }

  /** An administrator's reset: mailed when SMTP is configured, otherwise the link is answered to them. */
  async sendByAdmin(actor: Actor, userId: string, address: string | null): Promise<{ sent: true } | { link: string; expiresAt: string }> {
    const { db, clock } = this.deps;
    const user = await findUserById(db, userId);
    if (!user) throw new AppError('not_found');
    if (user.source === 'directory') throw new AppError('password_managed_by_directory');
    // A reset signs in: an account waiting for approval is approved first (Users, Approve).
    if (user.awaiting_approval === 1) throw new AppError('awaiting_approval');
    const now = clock();
    const subject = { id: user.id, email: user.email };
    if (this.deps.smtpConfigured) {
      await db.transaction().execute((trx) => this.queueResetMail(trx, user, now));
      await this.deps.audit({ kind: 'password_reset.sent_by_admin', actor, subject, address, details: { delivery: 'mail' } });
      return { sent: true };
    }
    const link = await db.transaction().execute((trx) => this.issueToken(trx, user.id, now));
    await this.deps.audit({ kind: 'password_reset.sent_by_admin', actor, subject, address, details: { delivery: 'link' } });
    return { link, expiresAt: new Date(now + RESET_LINK_MINUTES * 60_000).toISOString() };
  }

  /** The token's account, or the reason the link no longer works (400). */
  private async accountOf(token: string, now: number): Promise<UserRow> {
    const row = /^[A-Za-z0-9_-]{43}$/.test(token) ? await repo.findResetToken(this.deps.db, hashSessionToken(token)) : undefined;
    const user = row ? await findUserById(this.deps.db, row.user_id) : undefined;
    if (!row || !user) throw new AppError('invalid_reset_token');
    if (row.used_at !== null) throw new AppError('reset_token_used');
    if (row.expires_at <= now) throw new AppError('reset_token_expired');
    return user;
  }

  /**
   * Sets the new password and answers the account, and the factors proven here (the mailbox and
   * the new password, and the code for a 2FA account): the route signs the owner in on this browser
   * and trusts it, so an attacker who keeps the account's sign-in locked cannot keep its owner out.
   */
  async complete(
    input: { token: string; newPassword: string; code?: string },
    address: string | null,
  ): Promise<{ user: UserRow; amr: readonly string[]; twoFactorEnabled: boolean }> {
    const { db, clock, hasher } = this.deps;
    const user = await this.accountOf(input.token, clock());
    if (user.source === 'directory') throw new AppError('password_managed_by_directory');
    // Nothing signs in an account waiting for approval, a reset link included.
    if (user.awaiting_approval === 1) throw new AppError('awaiting_approval');
    const ref: AccountRef = { id: user.id, email: user.email };
    // The rules first: a weak password must not spend a code.
    assertStrongPassword(input.newPassword, user.email);
    const twoFactorEnabled = await this.deps.twoFactor.isEnabled(user.id);
    if (twoFactorEnabled) {
      if (!input.code?.trim()) throw new AppError('code_required');
      const refusal: CodeRefusal = {};
      // The reset's own counter: the same limits, but only link holders spend it (see resetCounterKey).
      const verified = await this.deps.limiter.check({ key: resetCounterKey(user.id), kind: 'code', subject: ref, address }, () =>
        this.deps.twoFactor.verifySecondFactor(ref, input.code!.trim(), address, refusal),
      );
      if (!verified) {
        await this.deps.audit({ kind: 'password_reset.failed', subject: ref, address, details: { reason: 'wrong_code', step: 'code' } });
        throw refusedCodeError(refusal);
      }
    }
    const passwordHash = await hasher.hash(input.newPassword);
    const tokenHash = hashSessionToken(input.token);
    const done = await db.transaction().execute(async (trx) => {
      const now = clock();
      // Spent here, with the change: of two racing completions exactly one sets the password.
      if (!(await repo.spendResetToken(trx, tokenHash, now))) return false;
      await updatePasswordHash(trx, user.id, passwordHash, now);
      await repo.spendAllResetTokens(trx, user.id, now);
      await this.deps.endAccountAccess(trx, user.id);
      await this.deps.mail.notify(trx, user.id, { kind: 'password_changed', how: 'reset' });
      return true;
    });
    if (!done) throw new AppError('reset_token_used');
    await this.deps.audit({ kind: 'password.reset', actor: ref, subject: ref, address });
    return { user, amr: twoFactorEnabled ? AMR_TWO_FACTOR : AMR_PASSWORD, twoFactorEnabled };
  }

  async prune(): Promise<void> {
    const now = this.deps.clock();
    await repo.pruneResetTokens(this.deps.db, now - 24 * HOUR_MS);
    await repo.pruneRequestCounters(this.deps.db, now - 2 * HOUR_MS);
  }
}
