// Self-registration, off by default (Authentication settings: registration off / open / approval,
// an optional list of domains, a default group). A person gives an email; a link to it (a random
// 256-bit token stored only as its SHA-256, 24 hours) proves the mailbox before any account exists,
// and on it they choose a password. With approval on, the account then waits for an administrator
// and cannot sign in until approved.
//
// No enumeration: a request for an email that already has an account answers the same and does the
// same work (a counter, a lookup, a row, a mail) — only the mail differs: it tells the owner they
// already have an account, with the way to a new password, and carries no link to register.
// Rate limits: per client address at the route, per email here (beyond it the same answer, no mail).
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../http/errors.js';
import { keyedHash } from '../../crypto/secret-box.js';
import { generateSessionToken, hashSessionToken } from '../../crypto/tokens.js';
import { countRequest } from '../../db/request-counters.js';
import { type Actor, insertAuditEvent } from '../audit/index.js';
import { assertStrongPassword, type PasswordHasher } from '../passwords/index.js';
import {
  approveUser,
  deliverableEmail,
  findUserByEmail,
  findUserById,
  insertUser,
  isUniqueViolation,
  listActiveAdmins,
  normalizeEmail,
  normalizeProfile,
  type UserRow,
} from '../users/index.js';
import type { GroupsService } from '../access/index.js';
import type { AuthSettings, SettingsService } from '../settings/index.js';
import { type MailLocale, type MailQueue, toMailLocale } from '../mail/index.js';
import * as repo from './onboarding.repository.js';

export const REGISTRATION_LINK_HOURS = 24;
/** Registration mails per email address per hour (beyond it the answer is the same, and nothing is sent). */
export const REGISTRATION_REQUESTS_PER_HOUR = 3;
const HOUR_MS = 3_600_000;

export interface RegistrationDeps {
  db: Kysely<DB>;
  hasher: PasswordHasher;
  mail: Pick<MailQueue, 'link' | 'enqueue'>;
  groups: Pick<GroupsService, 'joinIn'>;
  settings: Pick<SettingsService, 'get' | 'current'>;
  clock: () => number;
  /** When the require-2FA policy's clock starts for a new account. */
  clockForNewUser: (role: 'user') => Promise<number | null>;
  /** Keys the per-email counters, so emails are not stored in clear. */
  emailCounterKey: Buffer;
}

/** What the sign-in and registration pages may know: whether and where registration is open. */
export interface RegistrationPolicy {
  registration: AuthSettings['registration'];
  domains: string[];
}

function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1);
}

export class RegistrationService {
  constructor(private readonly deps: RegistrationDeps) {}

  async policy(): Promise<RegistrationPolicy> {
    const settings = await this.deps.settings.get();
    return { registration: settings.registration, domains: settings.registration === 'off' ? [] : [...settings.registrationDomains] };
  }

  /** Refuses when registration is off, or the address is not at a listed domain (the list is no secret). */
  private async openTo(email: string, fresh = false): Promise<AuthSettings> {
    const settings = fresh ? await this.deps.settings.current() : await this.deps.settings.get();
    if (settings.registration === 'off') throw new AppError('registration_closed');
    const domains = settings.registrationDomains.map(normalizeEmail);
    if (domains.length > 0 && !domains.includes(domainOf(email)))
      throw new AppError('registration_domain', `Registration is open only to addresses at ${domains.join(', ')}.`, { domains });
    return settings;
  }

  /** POST /api/registration: the same answer, and the same work, whether or not the email has an account. */
  async request(input: { email: string; locale: MailLocale }, address: string | null): Promise<void> {
    const { db, clock } = this.deps;
    // One address, checked after normalising: the domain check below must see the one mail goes to.
    const email = deliverableEmail(input.email);
    await this.openTo(email);
    const emailHash = keyedHash(this.deps.emailCounterKey, email);
    await db.transaction().execute(async (trx) => {
      const now = clock();
      const count = await countRequest(trx, `register:${emailHash}`, now, HOUR_MS);
      const user = await findUserByEmail(trx, email);
      const token = generateSessionToken();
      // A row for a known email too (its link is never mailed): both cases write the same.
      await repo.insertRegistration(trx, {
        id: randomUUID(),
        token_hash: hashSessionToken(token),
        email,
        locale: input.locale,
        created_at: now,
        expires_at: now + REGISTRATION_LINK_HOURS * HOUR_MS,
        used_at: null,
        user_id: null,
      });
      const sent = count <= REGISTRATION_REQUESTS_PER_HOUR;
      if (sent && user) {
        const link = this.deps.mail.link('/forgot-password');
        await this.deps.mail.enqueue(trx, { to: user.email, locale: toMailLocale(user.locale), template: { kind: 'registration_existing', link } });
      } else if (sent) {
        const link = this.deps.mail.link(`/register?token=${encodeURIComponent(token)}`);
        await this.deps.mail.enqueue(trx, { to: email, locale: input.locale, template: { kind: 'registration', link, hours: REGISTRATION_LINK_HOURS } });
      }
      const subject = user ? { id: user.id, email: user.email } : null;
      // The audit log may say which it was: only administrators read it.
      await insertAuditEvent(trx, { kind: 'registration.requested', subject, address, details: { sent, existing: user !== undefined, emailHash } }, now);
    });
  }

  /** The registration behind a link, or why it no longer works (each reason its own code). */
  private async rowOf(token: string): Promise<repo.RegistrationRow> {
    const row = /^[A-Za-z0-9_-]{43}$/.test(token) ? await repo.findRegistrationByToken(this.deps.db, hashSessionToken(token)) : undefined;
    if (!row) throw new AppError('invalid_registration');
    if (row.used_at !== null) throw new AppError('registration_used');
    if (row.expires_at <= this.deps.clock()) throw new AppError('registration_expired');
    return row;
  }

  /** What the registration page shows before the password is chosen. */
  async open(token: string): Promise<{ email: string; locale: MailLocale; approval: boolean }> {
    const row = await this.rowOf(token);
    const settings = await this.openTo(row.email);
    return { email: row.email, locale: toMailLocale(row.locale), approval: settings.registration === 'approval' };
  }

  /**
   * Chooses the password and creates the account, in the default group; with approval on it waits
   * for an administrator (who is told by mail). The route signs an approved-at-once account in.
   */
  async complete(
    input: { token: string; password: string; displayName?: string | null },
    address: string | null,
  ): Promise<{ user: UserRow; awaitingApproval: boolean }> {
    const { db, clock } = this.deps;
    const registration = await this.rowOf(input.token);
    // The settings as they are now, uncached (approval switched on a moment ago on another instance
    // counts): registration closed, or the domain dropped, since the mail was sent.
    const settings = await this.openTo(registration.email, true);
    const awaitingApproval = settings.registration === 'approval';
    // The rules first: a weak password or a bad name must not spend the link.
    assertStrongPassword(input.password, registration.email);
    const displayName = normalizeProfile({ displayName: input.displayName ?? null, givenName: null, familyName: null }).displayName;
    const passwordHash = await this.deps.hasher.hash(input.password);
    const twoFactorRequiredSince = await this.deps.clockForNewUser('user');
    const tokenHash = hashSessionToken(input.token);
    try {
      const user = await db.transaction().execute(async (trx) => {
        const now = clock();
        const created = await insertUser(trx, {
          email: registration.email,
          role: 'user',
          passwordHash,
          now,
          twoFactorRequiredSince,
          locale: registration.locale,
          displayName,
          awaitingApproval,
        });
        // Spent with the account's creation: of two browsers racing on one link exactly one gets here.
        if (!(await repo.spendRegistration(trx, tokenHash, created.id, now))) throw new AppError('registration_used');
        await this.admitted(trx, created, { registrationGroup: settings.registrationGroup, awaitingApproval, address, source: 'registration', now });
        return created;
      });
      return { user, awaitingApproval };
    } catch (error) {
      // An account with this email was made meanwhile (an administrator, an invitation, the other browser).
      if (isUniqueViolation(error)) throw new AppError('registration_used');
      throw error;
    }
  }

  /**
   * An account for a person another provider vouches for (a verified email, issue 34): created only
   * where registration is open to that email, as `complete` creates one (the default group, waiting
   * for approval when it is on, administrators told), with `passwordHash` an unusable mark (no
   * password matches it). `within` runs in the same transaction (the caller's link to the provider):
   * the account never exists without it.
   */
  async admitFromProvider(
    input: { email: string; displayName: string | null; passwordHash: string; source: string },
    address: string | null,
    within: (trx: Kysely<DB>, user: UserRow) => Promise<void>,
  ): Promise<{ user: UserRow; awaitingApproval: boolean }> {
    const { db, clock } = this.deps;
    const email = deliverableEmail(input.email);
    const settings = await this.openTo(email, true);
    const awaitingApproval = settings.registration === 'approval';
    const displayName = normalizeProfile({ displayName: input.displayName, givenName: null, familyName: null }).displayName;
    const twoFactorRequiredSince = await this.deps.clockForNewUser('user');
    const user = await db.transaction().execute(async (trx) => {
      const now = clock();
      const created = await insertUser(trx, {
        email,
        role: 'user',
        passwordHash: input.passwordHash,
        now,
        twoFactorRequiredSince,
        displayName,
        awaitingApproval,
      });
      await this.admitted(trx, created, { registrationGroup: settings.registrationGroup, awaitingApproval, address, source: input.source, now });
      await within(trx, created);
      return created;
    });
    return { user, awaitingApproval };
  }

  /**
   * What follows a new account by registration, by link or by another provider's word, in its
   * transaction: a waiting invitation for the email is moot, the default group joined, both audited,
   * and with approval on every active administrator is told.
   */
  private async admitted(
    trx: Kysely<DB>,
    created: UserRow,
    how: { registrationGroup: string | null; awaitingApproval: boolean; address: string | null; source: string; now: number },
  ): Promise<void> {
    const { awaitingApproval, address, source, now } = how;
    await repo.revokePendingFor(trx, created.email, now);
    const joined = how.registrationGroup ? await this.deps.groups.joinIn(trx, created.id, [how.registrationGroup]) : [];
    const subject = { id: created.id, email: created.email };
    // The link's own registration says no source (as before providers could register people).
    const details = source === 'registration' ? { groups: joined, awaitingApproval } : { groups: joined, awaitingApproval, source };
    await insertAuditEvent(trx, { kind: 'registration.completed', actor: subject, subject, address, details }, now);
    await insertAuditEvent(trx, { kind: 'user.created', actor: subject, subject, address, details: { role: 'user', source } }, now);
    if (!awaitingApproval) return;
    const link = this.deps.mail.link('/admin/users');
    for (const admin of await listActiveAdmins(trx)) {
      await this.deps.mail.enqueue(trx, {
        to: admin.email,
        locale: toMailLocale(admin.locale),
        template: { kind: 'registration_waiting', email: created.email, link },
      });
    }
  }

  /** An administrator lets a waiting account sign in; the person is told by mail. */
  async approve(actor: Actor, userId: string, address: string | null): Promise<void> {
    const { db, clock } = this.deps;
    await db.transaction().execute(async (trx) => {
      const now = clock();
      const user = /^[0-9a-f-]{36}$/i.test(userId) ? await findUserById(trx, userId) : undefined;
      if (!user) throw new AppError('not_found', 'No such user.');
      if (!(await approveUser(trx, user.id))) throw new AppError('not_awaiting_approval');
      await this.deps.mail.enqueue(trx, {
        to: user.email,
        locale: toMailLocale(user.locale),
        template: { kind: 'registration_approved', link: this.deps.mail.link('/') },
      });
      await insertAuditEvent(trx, { kind: 'user.approved', actor, subject: { id: user.id, email: user.email }, address }, now);
    });
  }

  async prune(): Promise<void> {
    await repo.pruneRegistrations(this.deps.db, this.deps.clock() - HOUR_MS);
  }
}
