// First run in the browser. A server with no user prints a one-time setup link (a random 256-bit
// token, stored only as its SHA-256, valid for an hour); /setup?token=… then creates the first
// administrator. Without a valid token nothing can be set up, so nobody on the network can claim a
// fresh install before its operator does. Exactly one administrator comes out of it even when two
// links (two instances) are used at once: the setup claim's fixed key decides (repository).
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../http/errors.js';
import { generateSessionToken, hashSessionToken } from '../../crypto/tokens.js';
import type { RecordAudit } from '../audit/index.js';
import { assertStrongPassword, type PasswordHasher } from '../passwords/index.js';
import { countUsers, insertUser, isUniqueViolation, normalizeEmail, type UserRow } from '../users/index.js';
import type { MailLocale } from '../mail/index.js';
import * as repo from './onboarding.repository.js';

export const SETUP_LINK_MINUTES = 60;

export interface SetupDeps {
  db: Kysely<DB>;
  hasher: PasswordHasher;
  audit: RecordAudit;
  clock: () => number;
  /** An address on the public URL (mail's link builder). */
  link: (pathAndQuery: string) => string;
  /** When the require-2FA policy's clock starts for a new account of this role. */
  clockForNewUser: (role: 'admin') => Promise<number | null>;
}

/** What a setup link looks like to the page before it is used. */
export type SetupStatus = { state: 'ready'; expiresAt: string } | { state: 'done' };

export class SetupService {
  constructor(private readonly deps: SetupDeps) {}

  /** Whether Gatehouse still waits for its first administrator. */
  async isPending(): Promise<boolean> {
    return !(await repo.isSetupClaimed(this.deps.db)) && (await countUsers(this.deps.db)) === 0;
  }

  /** A new setup link, or null once anyone has an account (the CLI or the browser made one). */
  async issueLink(): Promise<{ link: string; expiresAt: number } | null> {
    if (!(await this.isPending())) return null;
    const token = generateSessionToken();
    const now = this.deps.clock();
    const expiresAt = now + SETUP_LINK_MINUTES * 60_000;
    await repo.insertSetupToken(this.deps.db, { tokenHash: hashSessionToken(token), now, expiresAt });
    return { link: this.deps.link(`/setup?token=${encodeURIComponent(token)}`), expiresAt };
  }

  /** GET /api/setup: is this link good? Its errors are the same as setting up with it would answer. */
  async status(token: string): Promise<SetupStatus> {
    if (!(await this.isPending())) return { state: 'done' };
    const row = await this.tokenRow(token);
    return { state: 'ready', expiresAt: new Date(row.expires_at).toISOString() };
  }

  private async tokenRow(token: string) {
    const row = /^[A-Za-z0-9_-]{43}$/.test(token) ? await repo.findSetupToken(this.deps.db, hashSessionToken(token)) : undefined;
    if (!row) throw new AppError('invalid_setup_token');
    if (row.expires_at <= this.deps.clock()) throw new AppError('setup_token_expired');
    return row;
  }

  /** Creates the first administrator; 409 setup_done when someone already has an account. */
  async complete(input: { token: string; email: string; password: string; locale: MailLocale }, address: string | null): Promise<UserRow> {
    const { db, clock } = this.deps;
    if (!(await this.isPending())) throw new AppError('setup_done');
    await this.tokenRow(input.token);
    const email = normalizeEmail(input.email);
    // The rules first: a weak password must not spend the link.
    assertStrongPassword(input.password, email);
    const passwordHash = await this.deps.hasher.hash(input.password);
    const twoFactorRequiredSince = await this.deps.clockForNewUser('admin');
    const tokenHash = hashSessionToken(input.token);
    let user: UserRow;
    try {
      user = await db.transaction().execute(async (trx) => {
        const now = clock();
        const created = await insertUser(trx, { email, role: 'admin', passwordHash, now, twoFactorRequiredSince, locale: input.locale });
        // The claim first: a racing setup waits on the claim's key, then loses (its links are gone with it).
        if (!(await repo.claimSetup(trx, created.id, now)) || (await countUsers(trx)) !== 1) throw new AppError('setup_done');
        const row = await repo.findSetupToken(trx, tokenHash);
        if (!row || row.expires_at <= now) throw new AppError('setup_token_expired');
        await repo.deleteSetupTokens(trx);
        return created;
      });
    } catch (error) {
      // The CLI created this very email meanwhile: it is set up.
      if (isUniqueViolation(error)) throw new AppError('setup_done');
      throw error;
    }
    const subject = { id: user.id, email: user.email };
    await this.deps.audit({ kind: 'setup.completed', actor: subject, subject, address });
    await this.deps.audit({ kind: 'user.created', actor: subject, subject, address, details: { role: 'admin', source: 'setup' } });
    return user;
  }

  async prune(): Promise<void> {
    await repo.deleteSetupTokens(this.deps.db, this.deps.clock());
  }
}
