// The sync (issue 30): every account taken from the directory compared with its entry, found by
// the directory's unique id. Deleted or disabled there → blocked here through the users module's
// own block (UsersService.update), which ends the account's sessions and OpenID Connect grants
// in the same transaction: open sessions end at their next request. A changed email or group
// membership is followed. Nothing else is touched: 2FA, security keys and backup codes stay (a
// person re-enabled in the directory keeps them), and local accounts are never looked at. An
// account the sync blocked is not unblocked by it (an administrator may have blocked it for a
// reason of their own): the report names it, and `gatehouse users unblock` lifts it.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../http/errors.js';
import type { Actor } from '../audit/index.js';
import { listDirectoryUsers, type UserRow, type UsersService } from '../users/index.js';
import type { DirectoryEntry } from './directory-client.js';
import type { DirectoryService } from './directory.service.js';

export interface SyncChange {
  email: string;
  change: 'blocked' | 'email' | 'groups' | 'enabled_in_directory' | 'not_blocked';
  detail: string;
}

export interface SyncReport {
  dryRun: boolean;
  /** People the user filter selects in the directory. */
  people: number;
  /** Gatehouse accounts from the directory that were compared. */
  accounts: number;
  changes: SyncChange[];
}

export class DirectorySync {
  constructor(private readonly deps: { db: Kysely<DB>; directory: DirectoryService; users: Pick<UsersService, 'update'> }) {}

  /** One pass. Throws DirectoryUnavailable when the directory does not answer (nothing is changed then). */
  async run(options: { dryRun?: boolean; actor?: Actor } = {}): Promise<SyncReport> {
    const dryRun = options.dryRun === true;
    const { directory, db } = this.deps;
    const people = await directory.client.listPeople();
    const byId = new Map(people.map((p) => [p.id, p]));
    const accounts = await listDirectoryUsers(db);
    const changes: SyncChange[] = [];
    for (const account of accounts) {
      const entry = account.directory_id ? byId.get(account.directory_id) : undefined;
      if (!entry || entry.disabled) {
        await this.block(account, entry ? 'disabled in the directory' : 'no longer in the directory', dryRun, options.actor ?? null, changes);
        continue;
      }
      await this.follow(account, entry, dryRun, changes);
    }
    return { dryRun, people: people.length, accounts: accounts.length, changes };
  }

  private async block(account: UserRow, why: string, dryRun: boolean, actor: Actor, changes: SyncChange[]): Promise<void> {
    if (account.blocked) return;
    if (!dryRun) {
      try {
        await this.deps.users.update(account, { blocked: true }, actor, null);
      } catch (error) {
        // The last active administrator is never blocked (the way back in): said, not hidden.
        if (error instanceof AppError && error.code === 'last_admin') {
          changes.push({ email: account.email, change: 'not_blocked', detail: `${why}, but it is the last active administrator` });
          return;
        }
        throw error;
      }
    }
    changes.push({ email: account.email, change: 'blocked', detail: why });
  }

  private async follow(account: UserRow, entry: DirectoryEntry, dryRun: boolean, changes: SyncChange[]): Promise<void> {
    const { directory } = this.deps;
    let email = account.email;
    if (entry.mail !== null) {
      const outcome = await directory.followEmail(account, entry.mail, dryRun);
      if (outcome === 'changed') {
        email = entry.mail.normalize('NFKC').toLowerCase().trim();
        changes.push({ email, change: 'email', detail: `was ${account.email}` });
      } else if (outcome === 'taken') changes.push({ email, change: 'email', detail: `kept: another account has ${entry.mail}` });
    }
    if (!dryRun) await directory.followDisplayName(account.id, entry);
    const groups = await directory.refreshGroups({ id: account.id, email }, entry, dryRun);
    const parts = [
      ...groups.added.map((g) => `+${g}`),
      ...groups.removed.map((g) => `-${g}`),
      ...groups.conflicts.map((g) => `${g} (a local group has this name: left alone)`),
    ];
    if (parts.length > 0) changes.push({ email, change: 'groups', detail: parts.join(' ') });
    if (account.blocked) changes.push({ email, change: 'enabled_in_directory', detail: 'still blocked here: gatehouse users unblock lifts it' });
  }
}

/** Runs the sync every `intervalSeconds` (timers injected for tests; unref'd: it never keeps the process alive). */
export function startPeriodicSync(
  sync: Pick<DirectorySync, 'run'>,
  intervalSeconds: number,
  log: { info(o: object, m: string): void; warn(o: object, m: string): void },
  timers: { setInterval: (f: () => void, ms: number) => { unref?: () => void }; clearInterval: (t: never) => void } = {
    setInterval: (f, ms) => setInterval(f, ms),
    clearInterval: (t) => clearInterval(t),
  },
): () => void {
  let running = false;
  const timer = timers.setInterval(() => {
    if (running) return;
    running = true;
    sync
      .run()
      .then((report) => {
        if (report.changes.length > 0) log.info({ changes: report.changes }, `directory sync: ${report.changes.length} change(s)`);
      })
      .catch((error: Error) => log.warn({ reason: error.message }, 'directory sync failed; next try at the next interval'))
      .finally(() => {
        running = false;
      });
  }, intervalSeconds * 1000);
  timer.unref?.();
  return () => timers.clearInterval(timer as never);
}
