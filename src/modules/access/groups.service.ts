// Groups of accounts: create, rename, delete, members in and out. The rules and OpenID Connect
// applications that name a group decide what its members may reach (access-policy.service.ts).
import { randomUUID } from 'node:crypto';
import { AppError } from '../../http/errors.js';
import type { Actor } from '../audit/index.js';
import { findUserById } from '../users/index.js';
import type { Group, GroupDetail } from '../../shared/api-types.js';
import * as repo from './access.repository.js';
import { change } from './access-change.js';
import { groupName, MAX_GROUPS } from './access.validation.js';

/** A directory group's name as a Gatehouse group name: lowercase, other characters as `-`; null when nothing is left. */
export function directoryGroupName(raw: string): string | null {
  const name = raw
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return name === '' ? null : name;
}

export class GroupsService {
  constructor(private readonly deps: { db: repo.Db; clock: () => number }) {}

  async list(options: { limit?: number; after?: string } = {}): Promise<Group[]> {
    const rows = await repo.listGroups(this.deps.db, { limit: options.limit ?? MAX_GROUPS, after: options.after });
    return rows.map((g) => ({ id: g.id, name: g.name, members: Number(g.members), createdAt: new Date(Number(g.created_at)).toISOString(), source: g.source }));
  }

  async get(id: string): Promise<GroupDetail> {
    const group = await this.require(this.deps.db, id);
    const members = await repo.groupMembers(this.deps.db, id);
    return {
      id: group.id,
      name: group.name,
      createdAt: new Date(Number(group.created_at)).toISOString(),
      source: group.source,
      members: members.map((m) => ({ id: m.id, email: m.email, addedAt: new Date(Number(m.added_at)).toISOString() })),
    };
  }

  findByName(name: string) {
    return repo.findGroupByName(this.deps.db, name);
  }

  /** The names of each account's groups (the Users list). */
  namesOfUsers(userIds: readonly string[]): Promise<Map<string, string[]>> {
    return repo.groupNamesOfUsers(this.deps.db, userIds);
  }

  async namesOf(userId: string): Promise<string[]> {
    return (await repo.groupNamesOfUsers(this.deps.db, [userId])).get(userId) ?? [];
  }

  create(rawName: string, actor: Actor, address: string | null): Promise<Group> {
    const name = groupName(rawName);
    return change(this.deps.db, this.deps.clock, async (trx) => {
      if (await repo.findGroupByName(trx, name)) throw new AppError('group_exists', `A group named "${name}" already exists.`);
      if ((await repo.countGroups(trx)) >= MAX_GROUPS)
        throw new AppError('invalid_request', `There are already ${MAX_GROUPS} groups, the most Gatehouse keeps.`);
      const now = this.deps.clock();
      const id = randomUUID();
      await repo.insertGroup(trx, { id, name, created_at: now });
      return {
        result: { id, name, members: 0, createdAt: new Date(now).toISOString(), source: 'local' as const },
        events: [{ kind: 'group.created', actor, address, details: { group: name } }],
      };
    });
  }

  rename(id: string, rawName: string, actor: Actor, address: string | null): Promise<void> {
    const name = groupName(rawName);
    return change(this.deps.db, this.deps.clock, async (trx) => {
      const group = await this.requireLocal(trx, id);
      if (group.name === name) return { result: undefined, events: [] };
      if (await repo.findGroupByName(trx, name)) throw new AppError('group_exists', `A group named "${name}" already exists.`);
      await repo.renameGroup(trx, id, name);
      return { result: undefined, events: [{ kind: 'group.renamed', actor, address, details: { group: name, from: group.name } }] };
    });
  }

  /** Refused while a rule or an OpenID Connect application names the group: deleting it would silently change who gets in. */
  delete(id: string, actor: Actor, address: string | null): Promise<void> {
    return change(this.deps.db, this.deps.clock, async (trx) => {
      const group = await this.require(trx, id);
      const uses = await repo.groupUses(trx, id);
      if (uses.rules.length > 0 || uses.clients.length > 0) {
        const named = [
          ...uses.rules.map((r) => `the rule ${r.id} (${r.host}${r.path === '/' ? '' : r.path})`),
          ...uses.clients.map((c) => `the OpenID Connect application ${c}`),
        ];
        throw new AppError(
          'group_in_use',
          `The group "${group.name}" is named by ${named.slice(0, 5).join(', ')}${named.length > 5 ? ` and ${named.length - 5} more` : ''}: change those first.`,
          {
            rules: uses.rules.map((r) => r.id),
            clients: uses.clients,
          },
        );
      }
      await repo.deleteGroup(trx, id);
      return { result: undefined, events: [{ kind: 'group.deleted', actor, address, details: { group: group.name } }] };
    });
  }

  /** Answers whether the account was added (false: it already was a member; nothing changes). */
  addMember(id: string, userId: string, actor: Actor, address: string | null): Promise<boolean> {
    return change(this.deps.db, this.deps.clock, async (trx) => {
      const group = await this.requireLocal(trx, id);
      const user = await findUserById(trx, userId);
      if (!user) throw new AppError('not_found', 'No such user.');
      const added = await repo.insertMember(trx, { group_id: id, user_id: userId, added_at: this.deps.clock() });
      const subject = { id: user.id, email: user.email };
      return { result: added, events: added ? [{ kind: 'group.member_added', actor, subject, address, details: { group: group.name } }] : [] };
    });
  }

  /** Answers whether the account was removed (false: it was not a member). */
  removeMember(id: string, userId: string, actor: Actor, address: string | null): Promise<boolean> {
    return change(this.deps.db, this.deps.clock, async (trx) => {
      const group = await this.requireLocal(trx, id);
      const user = await findUserById(trx, userId);
      if (!user) throw new AppError('not_found', 'No such user.');
      const removed = await repo.deleteMember(trx, id, userId);
      const subject = { id: user.id, email: user.email };
      return { result: removed, events: removed ? [{ kind: 'group.member_removed', actor, subject, address, details: { group: group.name } }] : [] };
    });
  }

  private async require(db: repo.Db, id: string) {
    const group = await repo.findGroupById(db, id);
    if (!group) throw new AppError('not_found', 'No such group.');
    return group;
  }

  /** A group whose members and name Gatehouse keeps: a directory group's follow the directory. */
  private async requireLocal(db: repo.Db, id: string) {
    const group = await this.require(db, id);
    if (group.source === 'directory') throw new AppError('directory_group', `The group "${group.name}" comes from the directory: change it there.`);
    return group;
  }

  /**
   * Makes the account's directory groups exactly `directoryNames` (its local groups untouched), in
   * one transaction that bumps the access version: a directory group is created on first sight
   * and marked as from the directory. A name a local group already has is left alone (reported as
   * `conflicts`): the directory never takes over a group an administrator made. `dryRun` answers
   * what would change and writes nothing.
   */
  async setDirectoryGroups(
    user: { id: string; email: string },
    directoryNames: readonly string[],
    options: { dryRun?: boolean } = {},
  ): Promise<{ added: string[]; removed: string[]; conflicts: string[] }> {
    const wanted = new Set(directoryNames.map(directoryGroupName).filter((n): n is string => n !== null));
    const plan = { added: [] as string[], removed: [] as string[], conflicts: [] as string[] };
    const work = async (trx: repo.Db) => {
      const current = await repo.directoryGroupsOf(trx, user.id);
      const have = new Set(current.map((g) => g.name));
      for (const g of current) if (!wanted.has(g.name)) plan.removed.push(g.name);
      for (const name of wanted) {
        if (have.has(name)) continue;
        const group = await repo.findGroupByName(trx, name);
        if (group && group.source !== 'directory') plan.conflicts.push(name);
        else plan.added.push(name);
      }
      if (options.dryRun) return { result: undefined, events: [] };
      const now = this.deps.clock();
      for (const g of current) if (!wanted.has(g.name)) await repo.deleteMember(trx, g.id, user.id);
      for (const name of plan.added) {
        let group = await repo.findGroupByName(trx, name);
        if (!group) {
          await repo.insertGroup(trx, { id: randomUUID(), name, created_at: now, source: 'directory' });
          group = (await repo.findGroupByName(trx, name))!;
        }
        await repo.insertMember(trx, { group_id: group.id, user_id: user.id, added_at: now });
      }
      const events = [
        ...plan.added.map((group) => ({ kind: 'group.member_added', actor: null, subject: user, address: null, details: { group, source: 'directory' } })),
        ...plan.removed.map((group) => ({ kind: 'group.member_removed', actor: null, subject: user, address: null, details: { group, source: 'directory' } })),
      ];
      return { result: undefined, events };
    };
    if (options.dryRun) await work(this.deps.db);
    else await change(this.deps.db, this.deps.clock, work);
    return plan;
  }

  /**
   * Sets the account's membership of the local groups another provider's mapping names (`mapped`):
   * a member of exactly those of them in `wanted`, other groups untouched. One transaction with
   * the access version bumped when anything changed; a mapped group deleted since, or now from the
   * directory, is skipped. Answers what changed.
   */
  async setMappedGroups(
    user: { id: string; email: string },
    mapped: readonly string[],
    wanted: readonly string[],
    source: string,
  ): Promise<{ added: string[]; removed: string[] }> {
    const want = new Set(wanted);
    return change(this.deps.db, this.deps.clock, async (trx) => {
      const plan = { added: [] as string[], removed: [] as string[] };
      const now = this.deps.clock();
      for (const name of new Set(mapped)) {
        const group = await repo.findGroupByName(trx, name);
        if (group?.source !== 'local') continue;
        if (want.has(name)) {
          if (await repo.insertMember(trx, { group_id: group.id, user_id: user.id, added_at: now })) plan.added.push(name);
        } else if (await repo.deleteMember(trx, group.id, user.id)) plan.removed.push(name);
      }
      const events = [
        ...plan.added.map((group) => ({ kind: 'group.member_added', actor: null, subject: user, address: null, details: { group, source } })),
        ...plan.removed.map((group) => ({ kind: 'group.member_removed', actor: null, subject: user, address: null, details: { group, source } })),
      ];
      return { result: plan, events };
    });
  }

  /**
   * Adds a new account to these local groups inside the caller's transaction (an invitation
   * accepted) and answers the names it joined: a group deleted or taken over by the directory since
   * the invitation was sent is skipped (the caller's audit event says which were joined).
   */
  async joinIn(trx: repo.Db, userId: string, names: readonly string[]): Promise<string[]> {
    const joined: string[] = [];
    for (const name of new Set(names)) {
      const group = await repo.findGroupByName(trx, name);
      if (group?.source !== 'local') continue;
      if (await repo.insertMember(trx, { group_id: group.id, user_id: userId, added_at: this.deps.clock() })) joined.push(name);
    }
    if (joined.length > 0) await repo.bumpVersion(trx);
    return joined;
  }

  /** The group names each OpenID Connect application is restricted to (absent: open to everyone). */
  clientGroups(clientIds?: readonly string[]): Promise<Map<string, string[]>> {
    return repo.clientGroupNames(this.deps.db, clientIds);
  }

  /**
   * Restricts an OpenID Connect application to these groups (none: open to everyone), in the
   * caller's transaction (the client's own change). Unknown names are refused.
   */
  async restrictClient(trx: repo.Db, clientId: string, names: readonly string[]): Promise<void> {
    const ids: string[] = [];
    for (const raw of new Set(names)) {
      const group = await repo.findGroupByName(trx, groupName(raw));
      if (!group) throw new AppError('invalid_request', `There is no group named "${raw}".`);
      ids.push(group.id);
    }
    await repo.setClientGroups(trx, clientId, ids);
    await repo.bumpVersion(trx);
  }

  /** Whether the account may use this OpenID Connect application: it is open to everyone, or the account is in one of its groups. */
  mayUseClient(clientId: string, userId: string): Promise<boolean> {
    return repo.mayUseClient(this.deps.db, clientId, userId);
  }
}
