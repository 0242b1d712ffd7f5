// Signing in: the password step, the second step, and the decision of which session each earns.
// Unknown emails take the same path and time as wrong passwords (a dummy Argon2id verification)
// and count toward a lock of their own, keyed by a keyed hash of the email: neither body, status,
// timing nor lockout reveals who has an account (the audit log keeps that hash, not the email).
// A browser presenting a valid device cookie for the account is counted on the device's own
// counter (attempt-limiter.ts). A full sign-in tells the owner about failed second steps and locks
// since their previous sign-in.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../http/errors.js';
import { keyedHash } from '../../crypto/secret-box.js';
import { type AccountRef, failuresSince, insertAuditEvent, type RecordAudit } from '../audit/index.js';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { RecognisedBrowser, TrustedDevicesService } from '../trusted-devices/index.js';
import type { SignInWarning } from '../../shared/api-types.js';
import type { Metrics } from '../ops/index.js';
import type { PasswordHasher } from '../passwords/index.js';
import type { RequireTwoFactorPolicy, SecondFactorResult, SecondStepService } from '../two-factor/index.js';
import { findUserForSignIn, normalizeEmail, recordSignIn, upgradePasswordHash, type UserRow } from '../users/index.js';
import type { AttemptLimiter } from '../attempt-limits/index.js';
import { clearWarning, saveWarning } from './sign-in-warnings.repository.js';
import type { SessionDecision } from '../../core/two-factor-requirement.js';
import { accountCounterKey } from '../../core/counter-keys.js';
import { DirectoryUnavailable, type DirectoryEntry, type DirectorySignIn } from '../directory/index.js';
import type { SignInCandidate } from '../users/index.js';

/** What the password step earned: the session kind to issue, and why. */
export type PasswordStepResult =
  | { status: 'authenticated'; user: UserRow; browser: RecognisedBrowser; decision: SessionDecision; warning: SignInWarning | null }
  | { status: 'two_factor_setup_required'; user: UserRow; browser: RecognisedBrowser }
  | { status: 'second_factor_required'; user: UserRow; browser: RecognisedBrowser };

export interface SignInDeps {
  db: Kysely<DB>;
  hasher: PasswordHasher;
  limiter: AttemptLimiter;
  secondStep: SecondStepService;
  /** Which session the sign-in earns under the require-2FA policy. */
  policy: Pick<RequireTwoFactorPolicy, 'decide'>;
  devices: TrustedDevicesService;
  audit: RecordAudit;
  metrics: Metrics;
  clock: () => number;
  /** Keys the counters of emails with no account. */
  emailCounterKey: Buffer;
  /** Accounts from LDAP / Active Directory (GATEHOUSE_LDAP_URL); null: local accounts only. */
  directory?: DirectorySignIn | null;
}

/** What completing a sign-in needs of the account: who, and since when to report failures. */
export type SignedInUser = Pick<UserRow, 'id' | 'email' | 'created_at' | 'last_sign_in_at'>;

export class SignInService {
  constructor(private readonly deps: SignInDeps) {}

  private emailHash(email: string): string {
    return keyedHash(this.deps.emailCounterKey, normalizeEmail(email));
  }

  /** `deviceToken`: the browser's device cookie, if any (attempts with a valid one count per device). */
  async passwordStep(email: string, password: string, address: string | null, deviceToken: string | null = null): Promise<PasswordStepResult> {
    const { db, hasher, limiter, metrics, audit } = this.deps;
    const user = await findUserForSignIn(db, email);
    // A local account with a password signs in here, whatever the directory does (the first
    // administrator stays local: the way in while the directory is down). Anyone else is the directory's to know.
    if (this.deps.directory && (!user || user.source === 'directory')) return this.directoryPasswordStep(email, password, address, deviceToken, user);
    const subject = user ? { id: user.id, email: user.email } : null;
    // The account's counter, or that of the trusted device the browser presents for it.
    const browser = user ? await this.deps.devices.recognise(user.id, deviceToken) : null;
    const key = browser ? browser.counterKey : `e:${this.emailHash(email)}`;
    let verified: UserRow | null;
    try {
      verified = await limiter.check({ key, kind: 'password', subject, address }, async () => {
        // A blocked account answers exactly as a wrong password does, whatever the password: the
        // same work, body and count. Answering `blocked` after a right password told an attacker it was right.
        if (!user || user.blocked) {
          await hasher.verifyDummy(password);
          return null;
        }
        return (await hasher.verify(user.password_hash, password)) ? user : null;
      });
    } catch (error) {
      if (error instanceof AppError && error.code === 'locked') metrics.signIns.inc({ outcome: 'locked' });
      throw error;
    }
    if (!verified || !user || !browser) {
      metrics.signIns.inc({ outcome: 'invalid_credentials' });
      await audit({
        kind: 'sign_in.failed',
        subject,
        address,
        details: {
          reason: user ? (user.blocked ? 'blocked' : 'wrong_password') : 'unknown_email',
          step: 'password',
          ...(user ? {} : { emailHash: this.emailHash(email) }),
        },
      });
      throw new AppError('invalid_credentials');
    }
    if (hasher.needsRehash(user.password_hash)) {
      await upgradePasswordHash(db, user.id, user.password_hash, await hasher.hash(password));
    }
    // A self-registered account an administrator has not approved yet: told so, only after the right
    // password (which tells its holder nothing new), and not counted as a failure.
    if (user.awaiting_approval === 1) {
      await audit({ kind: 'sign_in.failed', subject, address, details: { reason: 'awaiting_approval', step: 'password' } });
      throw new AppError('awaiting_approval');
    }
    return this.afterPassword(user, browser, address);
  }

  /** What a right password earns, local or directory: the second step, enrolment only, or the session. */
  private async afterPassword(user: SignInCandidate, browser: RecognisedBrowser, address: string | null): Promise<PasswordStepResult> {
    const { metrics } = this.deps;
    if (user.twoFactorEnabled) {
      metrics.signIns.inc({ outcome: 'second_factor_required' });
      return { status: 'second_factor_required', user, browser };
    }
    const warning = await this.completeSignIn(user, address, 'password');
    const decision = await this.deps.policy.decide(user, false);
    return decision.restricted ? { status: 'two_factor_setup_required', user, browser } : { status: 'authenticated', user, browser, decision, warning };
  }

  /**
   * The password step of an account from the directory: the entry is found by the service
   * account (no secret involved), then the password is checked by a bind as the person inside the
   * same attempt slot a local password takes, on the account's counter (or its trusted device's;
   * before the account exists, a counter keyed by the directory's id, so typing the email or the
   * login name spends the same one). A locked counter refuses before any bind, so the directory
   * sees at most `passwordAttempts` wrong binds per lock from Gatehouse; with
   * GATEHOUSE_LDAP_LOCKOUT_THRESHOLD set, none at all once the run reaches one below it, so the
   * directory's own lockout (ppolicy pwdMaxFailure, AD's lockout threshold) is never reached
   * through Gatehouse. Nobody found, disabled or blocked: a bind as a DN that does not exist, the
   * same round trip, and the dummy hash every path does (timing tells nothing). A directory that
   * does not answer: 503 directory_unavailable, nothing counted.
   */
  private async directoryPasswordStep(
    identifier: string,
    password: string,
    address: string | null,
    deviceToken: string | null,
    known: SignInCandidate | undefined,
  ): Promise<PasswordStepResult> {
    const { hasher, limiter, metrics, audit } = this.deps;
    const directory = this.deps.directory!;
    const unreachable = (error: unknown): never => {
      if (error instanceof DirectoryUnavailable) {
        metrics.signIns.inc({ outcome: 'directory_unavailable' });
        throw new AppError('directory_unavailable');
      }
      if (error instanceof AppError && error.code === 'locked') metrics.signIns.inc({ outcome: 'locked' });
      throw error;
    };
    const { entry, account } = await directory.locate(identifier, known).catch(unreachable);
    const subject = account ? { id: account.id, email: account.email } : null;
    const browser = account ? await this.deps.devices.recognise(account.id, deviceToken) : null;
    const key = browser ? browser.counterKey : entry ? `e:${keyedHash(this.deps.emailCounterKey, `directory:${entry.id}`)}` : `e:${this.emailHash(identifier)}`;
    const threshold = directory.lockoutThreshold;
    let spared = false;
    const admitted = await limiter
      .check({ key, kind: 'password', subject, address }, async (): Promise<DirectoryEntry | null> => {
        const refused = !entry || entry.disabled || account?.blocked === 1;
        // The directory counts one run per person: the account's counter and this browser's together.
        const accountKey = account ? accountCounterKey(account.id) : key;
        const run =
          threshold > 0 && !refused ? (await limiter.failures(accountKey, 'password')) + (key === accountKey ? 0 : await limiter.failures(key, 'password')) : 0;
        spared = threshold > 0 && !refused && run >= threshold - 1;
        let ok = false;
        if (refused || spared) await directory.refuseAlike(password);
        else ok = await directory.verifyPassword(entry, password);
        await hasher.verifyDummy(password);
        return ok ? entry : null;
      })
      .catch(unreachable);
    if (!admitted) {
      metrics.signIns.inc({ outcome: 'invalid_credentials' });
      const reason = !entry
        ? account
          ? 'not_in_directory'
          : 'unknown_email'
        : entry.disabled
          ? 'disabled_in_directory'
          : account?.blocked
            ? 'blocked'
            : spared
              ? 'directory_lockout_spared'
              : 'wrong_password';
      await audit({
        kind: 'sign_in.failed',
        subject,
        address,
        details: { reason, step: 'password', source: 'directory', ...(subject ? {} : { emailHash: this.emailHash(identifier) }) },
      });
      throw new AppError('invalid_credentials');
    }
    const user = await directory.admit(admitted, account, address).catch(unreachable);
    return this.afterPassword(user, browser ?? (await this.deps.devices.recognise(user.id, deviceToken)), address);
  }

  /**
   * The second step with a code (app or backup), counted on `counterKey` (the browser's trusted
   * device, or the account): the sign-in's own, and an application's request for a second factor.
   */
  async secondFactorStep(
    user: SignedInUser,
    code: string,
    address: string | null,
    counterKey: string,
  ): Promise<SecondFactorResult & { warning: SignInWarning | null }> {
    const { secondStep } = this.deps;
    const ref: AccountRef = { id: user.id, email: user.email };
    const result = await secondStep.complete({ purpose: 'sign_in', user: ref, counterKey, address, method: secondStep.codeMethod(code), input: code });
    const warning = await this.completeSignIn(user, address, result.method);
    return { ...result, warning };
  }

  /**
   * A security key as the second step, or a passkey as the whole sign-in: the check counts toward
   * the code-attempt limit like a code (of the account, or of the trusted device).
   */
  async securityKeyStep(
    user: SignedInUser & Pick<UserRow, 'blocked'>,
    address: string | null,
    counterKey: string,
    method: 'webauthn' | 'passkey',
    response: AuthenticationResponseJSON,
  ): Promise<{ amr: readonly string[]; warning: SignInWarning | null }> {
    const { secondStep } = this.deps;
    const ref: AccountRef = { id: user.id, email: user.email };
    const keyMethod = method === 'passkey' ? secondStep.passkey : secondStep.securityKey;
    const proof = await secondStep.complete({ purpose: 'sign_in', user: ref, counterKey, address, method: keyMethod, input: response });
    if (user.blocked) {
      await this.deps.audit({ kind: 'sign_in.failed', subject: ref, address, details: { reason: 'blocked', step: 'code', method } });
      throw new AppError('blocked');
    }
    return { amr: keyMethod.amr(proof, method === 'webauthn'), warning: await this.completeSignIn(user, address, method) };
  }

  /**
   * A sign-in at another provider that needs no second step here (no 2FA, or a provider trusted for
   * MFA that did it): recorded, and its warning kept for the owner, like every other sign-in.
   */
  completeUpstreamSignIn(user: SignedInUser, address: string | null): Promise<SignInWarning | null> {
    return this.completeSignIn(user, address, 'upstream');
  }

  /** The warning shown to the owner since their last sign-in, until acknowledged. */
  acknowledgeWarning(userId: string): Promise<void> {
    return clearWarning(this.deps.db, userId);
  }

  /**
   * Records the sign-in and answers (and keeps) what happened to the account since the previous
   * one. The writes are one transaction (one commit instead of three on the hottest write path);
   * `hasSignInWarning: false` (known from the sign-in's read) skips clearing a warning that is not there.
   */
  private async completeSignIn(user: SignedInUser & { hasSignInWarning?: boolean }, address: string | null, method: string): Promise<SignInWarning | null> {
    const { db, clock } = this.deps;
    this.deps.metrics.signIns.inc({ outcome: 'authenticated' });
    const found = await failuresSince(db, user.id, user.last_sign_in_at ?? user.created_at);
    const warning: SignInWarning | null =
      found.last && (found.failedCodeAttempts > 0 || found.locks > 0)
        ? { failedCodeAttempts: found.failedCodeAttempts, locks: found.locks, lastAt: new Date(found.last.at).toISOString(), lastAddress: found.last.address }
        : null;
    const now = clock();
    const ref = { id: user.id, email: user.email };
    await db.transaction().execute(async (trx) => {
      if (warning !== null || user.hasSignInWarning !== false) await saveWarning(trx, user.id, warning, now);
      await recordSignIn(trx, user.id, now);
      await insertAuditEvent(trx, { kind: 'sign_in.succeeded', actor: ref, subject: ref, address, details: { method } }, now);
    });
    return warning;
  }
}
