// Two-factor authentication: enrolment, the second step, backup codes, disabling.
import QRCode from 'qrcode';
import { AppError } from '../../http/errors.js';
import { decryptSecret, encryptSecret } from '../../crypto/secret-box.js';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Keys } from '../../crypto/secret-box.js';
import type { AccountRef, Actor, RecordAudit } from '../audit/index.js';
import {
  addOffsetSample,
  estimateClockOffsetSeconds,
  generateTotpSecret,
  isAppCodeFormat,
  isReplayedTotp,
  keyUri,
  learnedWindow,
  matchTotp,
  TOTP_PERIOD_SECONDS,
} from '../totp/index.js';
import { findMatchingBackupCode, generateBackupCodes, newBackupCodeRecord } from '../backup-codes/index.js';
import { deleteUserSessions, type EndAccountAccess } from '../sessions/index.js';
import * as repo from './two-factor.repository.js';
import type { TwoFactorKind, TwoFactorSetup, TwoFactorStatus } from '../../shared/api-types.js';
import { hasCredentials } from '../webauthn/index.js';
import { type Notify, notifyNobody } from '../mail/index.js';

/** At or below this many unused backup codes after one is used, the owner is mailed. */
export const FEW_BACKUP_CODES = 3;

/** How far a failed confirmation code is looked for, only to tell the user their phone's clock is off. */
const CLOCK_HINT_WINDOW = { centre: 0, radius: 10 };

export type SecondFactorResult = { method: 'totp' } | { method: 'backup_code'; backupCodesLeft: number };

/**
 * What a refused check learned that its owner should be told: the code from the app was right but
 * its step was already spent (a replay, or the code that just confirmed something else). A check
 * still answers null then, so the attempt limiter counts it as before; the caller, given one of
 * these, says so (refusedCodeError).
 */
export interface CodeRefusal {
  reused?: boolean;
}

export const CODE_REUSED_MESSAGE = 'This code was just used; wait for the next one.';

/**
 * invalid_code for a refused code. A reused one says so, with `reason: "code_reused"` in the body
 * for clients that translate it; clients that only know invalid_code see nothing new. Only callers
 * past the password get here (second step, step-up, new backup codes, password reset with its
 * link), so saying "right but used" tells nobody anything about a code they could not see.
 */
export function refusedCodeError(refusal: CodeRefusal, extra: Record<string, unknown> = {}, message?: string): AppError {
  if (refusal.reused) return new AppError('invalid_code', CODE_REUSED_MESSAGE, { ...extra, reason: 'code_reused' });
  return new AppError('invalid_code', message, extra);
}

export interface TwoFactorDeps {
  db: Kysely<DB>;
  /** The secret box for TOTP secrets and the key of backup-code hashes. */
  keys: Pick<Keys, 'secretBox' | 'backupCodes'>;
  /** The name shown in the authenticator app. */
  issuer: string;
  audit: RecordAudit;
  clock: () => number;
  /** Security notifications, queued inside each change's transaction. */
  notify?: Notify;
  /** Ends the account's sessions (but `except`) and everything issued on them, OpenID Connect grants included (services.ts). */
  endAccountAccess?: EndAccountAccess;
}

export class TwoFactorService {
  private readonly db: Kysely<DB>;
  private readonly keys: TwoFactorDeps['keys'];
  private readonly issuer: string;
  private readonly audit: RecordAudit;
  private readonly clock: () => number;
  private readonly notify: Notify;
  private readonly endAccountAccess: EndAccountAccess;

  constructor(deps: TwoFactorDeps) {
    this.notify = deps.notify ?? notifyNobody;
    this.endAccountAccess = deps.endAccountAccess ?? ((db, userId, except) => deleteUserSessions(db, userId, except));
    this.db = deps.db;
    this.keys = deps.keys;
    this.issuer = deps.issuer;
    this.audit = deps.audit;
    this.clock = deps.clock;
  }

  private secretOf(row: repo.TwoFactorRow): string {
    return decryptSecret(this.keys.secretBox, row.secret_ciphertext, row.user_id);
  }

  async status(userId: string): Promise<TwoFactorStatus> {
    const row = await repo.findTwoFactor(this.db, userId);
    if (!row || row.enabled_at == null) return { enabled: false, enabledAt: null, backupCodesLeft: 0, clockOffsetSeconds: null };
    return {
      enabled: true,
      enabledAt: new Date(row.enabled_at).toISOString(),
      backupCodesLeft: await repo.countUnusedBackupCodes(this.db, userId),
      clockOffsetSeconds: estimateClockOffsetSeconds(JSON.parse(row.recent_offsets) as number[]),
    };
  }

  async beginSetup(user: AccountRef): Promise<TwoFactorSetup> {
    const secret = generateTotpSecret();
    const ciphertext = encryptSecret(this.keys.secretBox, secret, user.id);
    if (!(await repo.savePendingSetup(this.db, user.id, ciphertext, this.clock()))) throw new AppError('already_enabled');
    const issuer = this.issuer;
    const otpauthUri = keyUri(secret, issuer, user.email);
    const qrSvg = await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { accountName: user.email, issuer, key: secret, otpauthUri, qrSvg };
  }

  async enable(user: AccountRef, typed: string, address: string | null): Promise<string[]> {
    const code = typed.trim();
    if (!isAppCodeFormat(code)) throw new AppError('invalid_code', 'Enter the 6-digit code from the app.').withStatus(400);
    const row = await repo.findTwoFactor(this.db, user.id);
    if (row?.enabled_at != null) throw new AppError('already_enabled');
    if (!row) throw new AppError('no_pending_setup');
    const now = this.clock();
    const match = matchTotp(this.secretOf(row), code, now, null);
    // docs/api.md: a wrong confirmation code is 400 (nothing is being signed in to).
    if (!match) {
      // A code right for a phone whose clock is off (up to 5 minutes): say so, with how far. Only
      // the owner, with the key already in hand, reaches this, and nothing is enabled by it.
      const skewed = matchTotp(this.secretOf(row), code, now, null, CLOCK_HINT_WINDOW);
      const extra = skewed ? { clockOffsetSeconds: skewed.offset * TOTP_PERIOD_SECONDS } : {};
      throw new AppError('invalid_code', 'The code is not valid. Check the phone clock and try the next code.', extra).withStatus(400);
    }
    const codes = generateBackupCodes();
    const enabled = await repo.enableTwoFactor(
      this.db,
      {
        userId: user.id,
        secretCiphertext: row.secret_ciphertext,
        step: match.step,
        recentOffsets: [match.offset],
        codes: codes.map((c) => newBackupCodeRecord(this.keys.backupCodes, c)),
        now,
      },
      (trx) => this.notify(trx, user.id, { kind: '2fa_enabled' }),
    );
    if (!enabled) throw new AppError('no_pending_setup');
    await this.audit({ kind: '2fa.enabled', actor: user, subject: user, address });
    return codes;
  }

  /** Checks an app code, consuming its step. Null when wrong or already used (then `refusal.reused` is set). */
  async verifyAppCode(user: AccountRef, code: string, address: string | null, refusal: CodeRefusal = {}): Promise<{ method: 'totp' } | null> {
    const row = await repo.findTwoFactor(this.db, user.id);
    if (!row || row.enabled_at == null) return null;
    const secret = this.secretOf(row);
    const now = this.clock();
    const offsets = JSON.parse(row.recent_offsets) as number[];
    const window = learnedWindow(offsets);
    const match = matchTotp(secret, code, now, row.last_used_step, window);
    if (match && (await repo.consumeTotpStep(this.db, user.id, match.step, addOffsetSample(offsets, match.offset)))) {
      return { method: 'totp' };
    }
    // Lost the compare-and-set, or a code whose step was already spent: a replay.
    if (match || isReplayedTotp(secret, code, now, row.last_used_step, window)) {
      refusal.reused = true;
      await this.audit({ kind: '2fa.code_replay_refused', actor: user, subject: user, address });
    }
    return null;
  }

  /** The second step of a sign-in: an app code or one backup code. Null when neither matches. */
  async verifySecondFactor(user: AccountRef, code: string, address: string | null, refusal: CodeRefusal = {}): Promise<SecondFactorResult | null> {
    return isAppCodeFormat(code.trim()) ? this.verifyAppCode(user, code.trim(), address, refusal) : this.verifyBackupCode(user, code, address);
  }

  /** Checks one backup code, spending it (and telling the owner when few are left). Null when none matches. */
  async verifyBackupCode(user: AccountRef, code: string, address: string | null): Promise<{ method: 'backup_code'; backupCodesLeft: number } | null> {
    const stored = await repo.unusedBackupCodes(this.db, user.id);
    const match = findMatchingBackupCode(this.keys.backupCodes, code, stored);
    if (!match) return null;
    // The spend and, when few codes are left, the owner's notice: one transaction.
    const backupCodesLeft = await this.db.transaction().execute(async (trx) => {
      if (!(await repo.spendBackupCode(trx, match.id, this.clock()))) return null;
      const left = await repo.countUnusedBackupCodes(trx, user.id);
      if (left <= FEW_BACKUP_CODES) await this.notify(trx, user.id, { kind: 'backup_codes_low', left });
      return left;
    });
    if (backupCodesLeft === null) return null;
    await this.audit({ kind: '2fa.backup_code_used', actor: user, subject: user, address, details: { backupCodesLeft } });
    return { method: 'backup_code', backupCodesLeft };
  }

  /** The newest accepted app codes' steps and offsets (clock health's phone witness). */
  recentAcceptedCodes(sinceStep: number, limit: number) {
    return repo.recentAcceptedCodes(this.db, sinceStep, limit);
  }

  /** Replaces the whole set of backup codes in one transaction. */
  async regenerateBackupCodes(user: AccountRef, address: string | null): Promise<string[]> {
    const codes = generateBackupCodes();
    const records = codes.map((c) => newBackupCodeRecord(this.keys.backupCodes, c));
    const notice = (trx: Kysely<DB>) => this.notify(trx, user.id, { kind: 'backup_codes_generated' });
    if (!(await repo.replaceBackupCodes(this.db, user.id, records, this.clock(), notice))) throw new AppError('not_enabled');
    await this.audit({ kind: '2fa.backup_codes_generated', actor: user, subject: user, address });
    return codes;
  }

  /** Whether the code from the app is set up (its own switch in the account page). */
  async appEnabled(userId: string): Promise<boolean> {
    const row = await repo.findTwoFactor(this.db, userId);
    return row?.enabled_at != null;
  }

  /** The account's second factors: the app, security keys (either alone is 2FA). */
  async factors(userId: string): Promise<TwoFactorKind[]> {
    const [app, keys] = await Promise.all([this.appEnabled(userId), hasCredentials(this.db, userId)]);
    return [...(app ? (['totp'] as const) : []), ...(keys ? (['webauthn'] as const) : [])];
  }

  /** 2FA is on: the app or at least one security key. */
  async isEnabled(userId: string): Promise<boolean> {
    return (await this.factors(userId)).length > 0;
  }

  /**
   * Turns 2FA off. The owner ('self') turns off the app (keys are removed one by one); an
   * administrator or the CLI removes every factor, keys included, in one transaction. Then ends
   * the account's sessions but for `keepSession` (the token hash of the owner's current one): a
   * session opened with a factor must not outlive it.
   */
  /**
   * Removing the last security key of an account without the app turns 2FA off: the same as the
   * owner's "Disable authentication" (the other sessions end, the owner is mailed, `2fa.disabled`
   * audited), not a quieter way round it. `removeKey` removes the key and runs the notice in its
   * own transaction; answers nothing, throws what it throws.
   */
  async removeSecurityKey(
    subject: AccountRef,
    removeKey: (whenLast: (trx: Kysely<DB>) => Promise<void>) => Promise<{ lastFactor: boolean }>,
    address: string | null,
    keepSession: string,
  ): Promise<void> {
    const { lastFactor } = await removeKey((trx) => this.notify(trx, subject.id, { kind: '2fa_disabled', by: 'self' }));
    if (!lastFactor) return;
    await this.endAccountAccess(this.db, subject.id, keepSession);
    await this.audit({ kind: '2fa.disabled', actor: subject, subject, address, details: { by: 'self', via: 'last_security_key' } });
  }

  async disable(subject: AccountRef, actor: Actor, address: string | null, via: 'self' | 'admin' | 'cli', keepSession?: string): Promise<void> {
    const notice = (trx: Kysely<DB>) => this.notify(trx, subject.id, { kind: '2fa_disabled', by: via });
    if (!(await repo.removeTwoFactor(this.db, subject.id, { keys: via !== 'self', alsoDo: notice }))) throw new AppError('not_enabled');
    await this.endAccountAccess(this.db, subject.id, keepSession);
    await this.audit({ kind: '2fa.disabled', actor, subject, address, details: { by: via } });
  }
}
