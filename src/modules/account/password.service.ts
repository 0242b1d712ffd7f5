// The signed-in user's own password: re-authentication with it (password change, disabling 2FA)
// counts toward the account's password-attempt limit like a sign-in does.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../http/errors.js';
import type { RecordAudit } from '../audit/index.js';
import type { PasswordHasher } from '../passwords/index.js';
import { assertStrongPassword } from '../passwords/index.js';
import type { AttemptLimiter } from '../attempt-limits/index.js';
import { accountCounterKey } from '../../core/counter-keys.js';
import { findUserById, updatePasswordHash } from '../users/index.js';
import type { AccountRef } from '../audit/index.js';
import { type Notify, notifyNobody } from '../mail/index.js';
import { DirectoryRefused, DirectoryUnavailable, type DirectoryPasswords } from '../directory/index.js';

export class PasswordService {
  constructor(
    private readonly deps: {
      db: Kysely<DB>;
      hasher: PasswordHasher;
      limiter: AttemptLimiter;
      audit: RecordAudit;
      clock: () => number;
      notify?: Notify;
      /** Checks the password of an account from the directory by a bind (null: no directory). */
      directory?: DirectoryPasswords | null;
    },
  ) {}

  /**
   * Checks the account's password; 401 invalid_credentials when wrong (counted), 429 while locked.
   * `counterKey`: the counter to count on (the browser's trusted device's, or the account's).
   */
  async confirm(user: AccountRef, password: string, address: string | null, counterKey = accountCounterKey(user.id)): Promise<void> {
    const ref = { id: user.id, email: user.email };
    const verified = await this.deps.limiter
      .check({ key: counterKey, kind: 'password', subject: ref, address }, async () => {
        // The hash as stored now (the session check does not carry it).
        const current = await findUserById(this.deps.db, user.id);
        if (current?.source === 'directory') {
          if (!this.deps.directory || !current.directory_id) return null;
          return (await this.deps.directory.verifyLinked(current.directory_id, password)) ? true : null;
        }
        return current && (await this.deps.hasher.verify(current.password_hash, password)) ? true : null;
      })
      .catch((error) => {
        if (error instanceof DirectoryUnavailable) throw new AppError('directory_unavailable');
        throw error;
      });
    if (!verified) {
      await this.deps.audit({ kind: 'reauthentication.failed', actor: ref, subject: ref, address });
      throw new AppError('invalid_credentials', 'The password is not correct.');
    }
  }

  async change(
    user: AccountRef,
    input: { currentPassword: string; newPassword: string },
    address: string | null,
    counterKey = accountCounterKey(user.id),
  ): Promise<void> {
    const current = await findUserById(this.deps.db, user.id);
    if (current?.source === 'directory') return this.changeInDirectory(current, input, address, counterKey);
    await this.confirm(user, input.currentPassword, address, counterKey);
    assertStrongPassword(input.newPassword, user.email);
    const passwordHash = await this.deps.hasher.hash(input.newPassword);
    const notify = this.deps.notify ?? notifyNobody;
    // The change and the owner's notice: one transaction.
    await this.deps.db.transaction().execute(async (trx) => {
      await updatePasswordHash(trx, user.id, passwordHash, this.deps.clock());
      await notify(trx, user.id, { kind: 'password_changed', how: 'changed' });
    });
    const ref = { id: user.id, email: user.email };
    await this.deps.audit({ kind: 'password.changed', actor: ref, subject: ref, address });
  }

  /**
   * A directory account's own password change: refused (409) unless GATEHOUSE_LDAP_PASSWORD_MODIFY
   * is on; then Gatehouse's rules first, the old password confirmed by a bind (counted like any
   * confirmation), and the change written by the directory itself, bound as the person (RFC 3062).
   */
  private async changeInDirectory(
    user: { id: string; email: string; directory_id: string | null },
    input: { currentPassword: string; newPassword: string },
    address: string | null,
    counterKey: string,
  ): Promise<void> {
    const directory = this.deps.directory;
    if (!directory?.passwordModify || !user.directory_id) throw passwordManagedByDirectory(directory?.passwordUrl ?? null);
    assertStrongPassword(input.newPassword, user.email);
    await this.confirm(user, input.currentPassword, address, counterKey);
    let changed: boolean;
    try {
      changed = await directory.changePassword(user.directory_id, input.currentPassword, input.newPassword);
    } catch (error) {
      if (error instanceof DirectoryUnavailable) throw new AppError('directory_unavailable');
      if (error instanceof DirectoryRefused) throw new AppError('invalid_request', `The directory refused the new password (${error.reason}).`);
      throw error;
    }
    if (!changed) throw new AppError('invalid_credentials', 'The password is not correct.');
    const ref = { id: user.id, email: user.email };
    const notify = this.deps.notify ?? notifyNobody;
    await this.deps.db.transaction().execute((trx) => notify(trx, user.id, { kind: 'password_changed', how: 'changed' }));
    await this.deps.audit({ kind: 'password.changed', actor: ref, subject: ref, address, details: { source: 'directory' } });
  }
}

/** 409 for a directory account's password change or reset, with where to change it when configured. */
export function passwordManagedByDirectory(passwordUrl: string | null): AppError {
  return new AppError('password_managed_by_directory', undefined, passwordUrl ? { passwordUrl } : {});
}
