// Invitations by mail. An administrator invites one person or a list; each gets a link in their
// language (a random 256-bit token, stored only as its SHA-256) valid for GATEHOUSE_INVITATION_DAYS,
// sets a password on it and is signed in, into the invitation's groups and role, and with 2FA
// required from the first sign-in when the invitation says so (enrolment before anything else).
// A list is checked whole before anything is written: one bad line changes nothing. Two browsers
// using one link: the conditional UPDATE that spends it lets exactly one create the account.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../http/errors.js';
import { generateSessionToken, hashSessionToken } from '../../crypto/tokens.js';
import { insertAuditEvent, type AccountRef, type AuditEventInput } from '../audit/index.js';
import { assertStrongPassword, type PasswordHasher } from '../passwords/index.js';
import { deliverableEmail, findUserByEmail, insertUser, isUniqueViolation, normalizeEmail, normalizeProfile, type Role, type UserRow } from '../users/index.js';
import type { GroupsService } from '../access/index.js';
import type { MailLocale, MailQueue } from '../mail/index.js';
import type { Invitation, InvitationState } from '../../shared/api-types.js';
import * as repo from './onboarding.repository.js';
import { parseInvitationList } from './invitation-list.js';

const DAY_MS = 86_400_000;
/** Accepted and revoked invitations stay listed this long (then only the audit log has them). */
const ENDED_LISTED_MS = 30 * DAY_MS;

export interface InvitationsDeps {
  db: Kysely<DB>;
  hasher: PasswordHasher;
  mail: Pick<MailQueue, 'link' | 'enqueue'>;
  groups: Pick<GroupsService, 'findByName' | 'joinIn'>;
  clock: () => number;
  /** When the require-2FA policy's clock starts for a new account of this role. */
  clockForNewUser: (role: Role) => Promise<number | null>;
  /** Whether mail leaves the machine; without SMTP the administrator is answered the links. */
  smtpConfigured: boolean;
  /** How long a link works (GATEHOUSE_INVITATION_DAYS). */
  validDays: number;
}

export interface InviteOptions {
  /** Groups every person on the list joins (a line may name more). */
  groups: string[];
  /** The role of lines that name none. */
  role: Role;
  requireTwoFactor: boolean;
  locale: MailLocale;
}

/** Who invites: an administrator (a stepped-up session, the route checks) or the command line. */
export type Inviter = AccountRef | 'cli';

export interface SentInvitation {
  id: string;
  email: string;
  /** The link itself, only when it is not mailed (no SMTP) or the command line asked. */
  link?: string;
}

export class InvitationsService {
  constructor(private readonly deps: InvitationsDeps) {}

  /** Invites everyone on the list (the textarea's text), or nobody when any line is wrong. */
  async invite(inviter: Inviter, list: string, options: InviteOptions, address: string | null, answerLinks = false): Promise<SentInvitation[]> {
    const lines = parseInvitationList(list);
    const { db, clock } = this.deps;
    const seen = new Set<string>();
    const problems: string[] = [];
    const people = lines.map((l) => {
      const email = normalizeEmail(l.email);
      try {
        deliverableEmail(email);
      } catch {
        problems.push(`line ${l.line}: "${email.slice(0, 80)}" is not one email address`);
      }
      if (seen.has(email)) problems.push(`line ${l.line}: ${email} is on the list twice`);
      seen.add(email);
      const name = (() => {
        try {
          return normalizeProfile({ displayName: l.name, givenName: null, familyName: null }).displayName;
        } catch (error) {
          problems.push(`line ${l.line}: ${(error as Error).message}`);
          return null;
        }
      })();
      return { line: l.line, email, name, role: l.role ?? options.role, groups: [...new Set([...options.groups, ...l.groups])] };
    });
    for (const p of people) {
      if (await findUserByEmail(db, p.email)) problems.push(`line ${p.line}: ${p.email} already has an account`);
      for (const name of p.groups) {
        const group = await this.deps.groups.findByName(name);
        if (!group) problems.push(`line ${p.line}: there is no group named "${name.slice(0, 64)}"`);
        else if (group.source !== 'local') problems.push(`line ${p.line}: the group "${name}" comes from the directory`);
      }
    }
    if (problems.length > 0) throw new AppError('invalid_request', problems.slice(0, 10).join('; '), { problems });

    const actor = inviter === 'cli' ? 'cli' : inviter;
    const sent = await db.transaction().execute(async (trx) => {
      const now = clock();
      const out: SentInvitation[] = [];
      for (const p of people) {
        // A new invitation replaces one still waiting for the same email (its link stops working).
        await repo.revokePendingFor(trx, p.email, now);
        const token = generateSessionToken();
        const id = randomUUID();
        await repo.insertInvitation(trx, {
          id,
          token_hash: hashSessionToken(token),
          email: p.email,
          display_name: p.name,
          role: p.role,
          groups: JSON.stringify(p.groups),
          require_two_factor: options.requireTwoFactor ? 1 : 0,
          locale: options.locale,
          invited_by: inviter === 'cli' ? null : inviter.id,
          created_at: now,
          sent_at: now,
          expires_at: now + this.deps.validDays * DAY_MS,
          accepted_at: null,
          revoked_at: null,
          user_id: null,
        });
        const link = await this.mailLink(trx, p.email, options.locale, token);
        await insertAuditEvent(
          trx,
          this.event('invitation.sent', actor, p.email, address, { role: p.role, groups: p.groups, requireTwoFactor: options.requireTwoFactor }),
          now,
        );
        out.push({ id, email: p.email, ...(answerLinks || !this.deps.smtpConfigured ? { link } : {}) });
      }
      return out;
    });
    return sent;
  }

  private async mailLink(trx: Kysely<DB>, email: string, locale: MailLocale, token: string): Promise<string> {
    const link = this.deps.mail.link(`/invitation?token=${encodeURIComponent(token)}`);
    await this.deps.mail.enqueue(trx, { to: email, locale, template: { kind: 'invitation', link, days: this.deps.validDays } });
    return link;
  }

  private event(kind: string, actor: AuditEventInput['actor'], email: string, address: string | null, details?: Record<string, unknown>): AuditEventInput {
    // The invited person has no account yet: the email stands in the details, never a token.
    return { kind, actor, subject: null, address, details: { email, ...details } };
  }

  async list(): Promise<Invitation[]> {
    const now = this.deps.clock();
    const rows = await repo.listInvitations(this.deps.db, now - ENDED_LISTED_MS, 500);
    return rows.map((row) => present(row, now));
  }

  /** A fresh link (the old one stops working) and a fresh expiry, mailed again. */
  async resend(inviter: Inviter, id: string, address: string | null, answerLinks = false): Promise<SentInvitation> {
    const { db, clock } = this.deps;
    return db.transaction().execute(async (trx) => {
      const now = clock();
      const row = await repo.findInvitation(trx, id);
      if (!row) throw new AppError('not_found', 'No such invitation.');
      const token = generateSessionToken();
      if (!(await repo.renewInvitation(trx, id, { tokenHash: hashSessionToken(token), now, expiresAt: now + this.deps.validDays * DAY_MS })))
        throw new AppError(row.accepted_at !== null ? 'invitation_used' : 'invitation_revoked');
      const link = await this.mailLink(trx, row.email, row.locale === 'es' ? 'es' : 'en', token);
      await insertAuditEvent(trx, this.event('invitation.resent', inviter, row.email, address), now);
      return { id, email: row.email, ...(answerLinks || !this.deps.smtpConfigured ? { link } : {}) };
    });
  }

  async revoke(inviter: Inviter, id: string, address: string | null): Promise<void> {
    const { db, clock } = this.deps;
    await db.transaction().execute(async (trx) => {
      const now = clock();
      const row = await repo.findInvitation(trx, id);
      if (!row) throw new AppError('not_found', 'No such invitation.');
      if (!(await repo.revokeInvitation(trx, id, now))) throw new AppError(row.accepted_at !== null ? 'invitation_used' : 'invitation_revoked');
      await insertAuditEvent(trx, this.event('invitation.revoked', inviter, row.email, address), now);
    });
  }

  /** The invitation behind a link, or why it no longer works (each reason its own code). */
  private async rowOf(token: string): Promise<repo.InvitationRow> {
    const row = /^[A-Za-z0-9_-]{43}$/.test(token) ? await repo.findInvitationByToken(this.deps.db, hashSessionToken(token)) : undefined;
    if (!row) throw new AppError('invalid_invitation');
    if (row.accepted_at !== null) throw new AppError('invitation_used');
    if (row.revoked_at !== null) throw new AppError('invitation_revoked');
    if (row.expires_at <= this.deps.clock()) throw new AppError('invitation_expired');
    return row;
  }

  /** What the invitation page shows before the password is set. */
  async open(token: string): Promise<{ email: string; displayName: string | null; requireTwoFactor: boolean; locale: MailLocale; expiresAt: string }> {
    const row = await this.rowOf(token);
    return {
      email: row.email,
      displayName: row.display_name,
      requireTwoFactor: row.require_two_factor === 1,
      locale: row.locale === 'es' ? 'es' : 'en',
      expiresAt: new Date(row.expires_at).toISOString(),
    };
  }

  /** Sets the password and creates the account; the route then signs it in on this browser. */
  async accept(input: { token: string; password: string }, address: string | null): Promise<UserRow> {
    const { db, clock } = this.deps;
    const invited = await this.rowOf(input.token);
    // The rules first: a weak password must not spend the link.
    assertStrongPassword(input.password, invited.email);
    const passwordHash = await this.deps.hasher.hash(input.password);
    const twoFactorRequiredSince = await this.deps.clockForNewUser(invited.role);
    const tokenHash = hashSessionToken(input.token);
    try {
      return await db.transaction().execute(async (trx) => {
        const now = clock();
        const user = await insertUser(trx, {
          email: invited.email,
          role: invited.role,
          passwordHash,
          now,
          twoFactorRequiredSince,
          twoFactorRequired: invited.require_two_factor === 1,
          locale: invited.locale,
          displayName: invited.display_name,
        });
        // Spent with the account's creation: of two browsers racing on one link exactly one gets here.
        if (!(await repo.spendInvitation(trx, tokenHash, user.id, now))) throw new AppError('invitation_used');
        const joined = await this.deps.groups.joinIn(trx, user.id, JSON.parse(invited.groups) as string[]);
        const subject = { id: user.id, email: user.email };
        await insertAuditEvent(trx, { kind: 'invitation.accepted', actor: subject, subject, address, details: { email: user.email, groups: joined } }, now);
        await insertAuditEvent(trx, { kind: 'user.created', actor: subject, subject, address, details: { role: user.role, source: 'invitation' } }, now);
        return user;
      });
    } catch (error) {
      // The other browser (or an administrator) created this email first.
      if (isUniqueViolation(error)) throw new AppError('invitation_used');
      throw error;
    }
  }

  async prune(): Promise<void> {
    await repo.pruneInvitations(this.deps.db, this.deps.clock() - ENDED_LISTED_MS);
  }
}

function stateOf(row: repo.InvitationRow, now: number): InvitationState {
  if (row.accepted_at !== null) return 'accepted';
  if (row.revoked_at !== null) return 'revoked';
  return row.expires_at <= now ? 'expired' : 'pending';
}

function present(row: repo.InvitationRow, now: number): Invitation {
  const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());
  return {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    role: row.role,
    groups: JSON.parse(row.groups) as string[],
    requireTwoFactor: row.require_two_factor === 1,
    locale: row.locale === 'es' ? 'es' : 'en',
    state: stateOf(row, now),
    createdAt: iso(row.created_at)!,
    sentAt: iso(row.sent_at)!,
    expiresAt: iso(row.expires_at)!,
    acceptedAt: iso(row.accepted_at),
    revokedAt: iso(row.revoked_at),
  };
}
