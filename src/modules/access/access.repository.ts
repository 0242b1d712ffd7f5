// SQL for groups, memberships, forward-auth applications and their rules, OpenID Connect
// applications' groups, and the access version. Every write that changes who may go where also
// bumps the version (bumpVersion) in the same transaction: that is how other instances learn of it.
import type { Kysely } from 'kysely';
import type { DialectName, RowReader } from '../../db/database.js';
import { compiled } from '../../db/compiled.js';
import type { AccessApplicationsTable, AccessRulesTable, DB } from '../../db/schema.js';

export type Db = Kysely<DB>;
export type ApplicationRow = AccessApplicationsTable;
export type RuleRow = AccessRulesTable;
export interface SubjectRow {
  rule_id: string;
  group_id: string | null;
  user_id: string | null;
}

// ---- The version, and one account's groups: read on every forward-auth check (built once).

const versionAndGroups = compiled((db, userId: string) =>
  db
    .selectFrom('access_state as s')
    .leftJoin('group_members as m', (join) => join.on('m.user_id', '=', userId))
    .select(['s.version', 'm.group_id'])
    .where('s.id', '=', 1),
);

/** The access version and the account's group ids, in one read. */
export async function readVersionAndGroups(db: Db, userId: string): Promise<{ version: number; groupIds: string[] }> {
  const { rows } = await versionAndGroups(db, userId);
  const groupIds: string[] = [];
  for (const row of rows) if (row.group_id !== null) groupIds.push(row.group_id);
  return { version: Number(rows[0]?.version ?? 0), groupIds };
}

/**
 * The same as readVersionAndGroups, as one row through the database's hot-path reader (no Kysely
 * on the way): the group ids joined by commas (they are UUIDs, which have none). The SQL is each
 * dialect's own, as the aggregate's name differs.
 */
const VERSION_AND_GROUPS_SQL: Record<DialectName, string> = {
  sqlite: "select s.version, (select group_concat(m.group_id, ',') from group_members m where m.user_id = ?) from access_state s where s.id = 1",
  postgres: "select s.version, (select string_agg(m.group_id, ',') from group_members m where m.user_id = $1) from access_state s where s.id = 1",
};

export async function readVersionAndGroupsRow(readRow: RowReader, dialect: DialectName, userId: string): Promise<{ version: number; groupIds: string[] }> {
  const row = await readRow(VERSION_AND_GROUPS_SQL[dialect], [userId]);
  const joined = row?.[1];
  return { version: Number(row?.[0] ?? 0), groupIds: typeof joined === 'string' && joined !== '' ? joined.split(',') : [] };
}

export async function readState(db: Db): Promise<{ version: number; installDefault: 'allow' | 'deny' }> {
  const row = await db.selectFrom('access_state').select(['version', 'install_default']).where('id', '=', 1).executeTakeFirstOrThrow();
  return { version: Number(row.version), installDefault: row.install_default };
}

export async function bumpVersion(trx: Db): Promise<void> {
  await trx
    .updateTable('access_state')
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('id', '=', 1)
    .execute();
}

// ---- Everything an instance decides with (loaded when the version moves).

export interface PolicyRows {
  version: number;
  installDefault: 'allow' | 'deny';
  applications: ApplicationRow[];
  rules: RuleRow[];
  subjects: Array<SubjectRow & { email: string | null }>;
  groups: Array<{ id: string; name: string }>;
}

/** One transaction, so the rows belong to one version. */
export function loadPolicy(db: Db): Promise<PolicyRows> {
  return db.transaction().execute(async (trx) => {
    const state = await readState(trx);
    const [applications, rules, subjects, groups] = await Promise.all([
      trx.selectFrom('access_applications').selectAll().orderBy('host').execute(),
      trx.selectFrom('access_rules').selectAll().orderBy('created_at').orderBy('id').execute(),
      trx
        .selectFrom('access_rule_subjects as s')
        .leftJoin('users as u', 'u.id', 's.user_id')
        .select(['s.rule_id', 's.group_id', 's.user_id', 'u.email'])
        .execute(),
      trx.selectFrom('groups').select(['id', 'name']).execute(),
    ]);
    return { ...state, applications, rules, subjects, groups };
  });
}

// ---- Groups and members.

export async function countGroups(db: Db): Promise<number> {
  const row = await db
    .selectFrom('groups')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export function findGroupByName(db: Db, name: string) {
  return db.selectFrom('groups').selectAll().where('name', '=', name).executeTakeFirst();
}

export function findGroupById(db: Db, id: string) {
  return db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertGroup(db: Db, row: { id: string; name: string; created_at: number; source?: 'local' | 'directory' }): Promise<void> {
  await db.insertInto('groups').values(row).execute();
}

/** The directory groups an account is a member of (id and name). */
export function directoryGroupsOf(db: Db, userId: string) {
  return db
    .selectFrom('group_members as m')
    .innerJoin('groups as g', 'g.id', 'm.group_id')
    .select(['g.id', 'g.name'])
    .where('m.user_id', '=', userId)
    .where('g.source', '=', 'directory')
    .execute();
}

export async function renameGroup(db: Db, id: string, name: string): Promise<void> {
  await db.updateTable('groups').set({ name }).where('id', '=', id).execute();
}

export async function deleteGroup(db: Db, id: string): Promise<void> {
  await db.deleteFrom('groups').where('id', '=', id).execute();
}

/** Where a group is named: the forward-auth rules (with their host and path) and the OpenID Connect applications. */
export async function groupUses(db: Db, groupId: string): Promise<{ rules: Array<{ id: string; host: string; path: string }>; clients: string[] }> {
  const [rules, clients] = await Promise.all([
    db
      .selectFrom('access_rule_subjects as s')
      .innerJoin('access_rules as r', 'r.id', 's.rule_id')
      .innerJoin('access_applications as a', 'a.id', 'r.application_id')
      .select(['r.id', 'a.host', 'r.path'])
      .where('s.group_id', '=', groupId)
      .execute(),
    db.selectFrom('oidc_client_groups').select('client_id').where('group_id', '=', groupId).execute(),
  ]);
  return { rules, clients: clients.map((c) => c.client_id) };
}

/** Groups by name with their member counts; `after` pages by name. */
export function listGroups(db: Db, options: { limit: number; after?: string }) {
  let query = db
    .selectFrom('groups as g')
    .leftJoin('group_members as m', 'm.group_id', 'g.id')
    .select((eb) => ['g.id', 'g.name', 'g.created_at', 'g.source', eb.fn.count<number>('m.user_id').as('members')])
    .groupBy(['g.id', 'g.name', 'g.created_at', 'g.source'])
    .orderBy('g.name')
    .limit(options.limit);
  if (options.after !== undefined) query = query.where('g.name', '>', options.after);
  return query.execute();
}

export function groupMembers(db: Db, groupId: string) {
  return db
    .selectFrom('group_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.email', 'm.added_at'])
    .where('m.group_id', '=', groupId)
    .orderBy('u.email')
    .execute();
}

/** Adds the member; answers false when they already were one. */
export async function insertMember(db: Db, row: { group_id: string; user_id: string; added_at: number }): Promise<boolean> {
  // RETURNING answers the row only when it was inserted, on both dialects; two admins adding the same member at once is no error.
  const inserted = await db
    .insertInto('group_members')
    .values(row)
    .onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing())
    .returning('user_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Removes the member; answers false when they were not one. */
export async function deleteMember(db: Db, groupId: string, userId: string): Promise<boolean> {
  const result = await db.deleteFrom('group_members').where('group_id', '=', groupId).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Group names of each of these accounts (an account in no group is absent). */
export async function groupNamesOfUsers(db: Db, userIds: readonly string[]): Promise<Map<string, string[]>> {
  const byUser = new Map<string, string[]>();
  if (userIds.length === 0) return byUser;
  const rows = await db
    .selectFrom('group_members as m')
    .innerJoin('groups as g', 'g.id', 'm.group_id')
    .select(['m.user_id', 'g.name'])
    .where('m.user_id', 'in', userIds)
    .orderBy('g.name')
    .execute();
  for (const row of rows) byUser.set(row.user_id, [...(byUser.get(row.user_id) ?? []), row.name]);
  return byUser;
}

// ---- Forward-auth applications and rules.

export async function countRules(db: Db): Promise<number> {
  const row = await db
    .selectFrom('access_rules')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export function findApplicationByHost(db: Db, host: string) {
  return db.selectFrom('access_applications').selectAll().where('host', '=', host).executeTakeFirst();
}

export function findApplicationById(db: Db, id: string) {
  return db.selectFrom('access_applications').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertApplication(db: Db, row: ApplicationRow): Promise<void> {
  await db.insertInto('access_applications').values(row).execute();
}

export async function renameApplication(db: Db, id: string, name: string): Promise<void> {
  await db.updateTable('access_applications').set({ name }).where('id', '=', id).execute();
}

export async function deleteApplication(db: Db, id: string): Promise<void> {
  await db.deleteFrom('access_applications').where('id', '=', id).execute();
}

export function findRuleByPath(db: Db, applicationId: string, path: string) {
  return db.selectFrom('access_rules').selectAll().where('application_id', '=', applicationId).where('path', '=', path).executeTakeFirst();
}

export function findRuleById(db: Db, id: string) {
  return db.selectFrom('access_rules').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertRule(db: Db, row: RuleRow, subjects: Array<{ group_id: string | null; user_id: string | null }>): Promise<void> {
  await db.insertInto('access_rules').values(row).execute();
  if (subjects.length > 0)
    await db
      .insertInto('access_rule_subjects')
      .values(subjects.map((s) => ({ rule_id: row.id, ...s })))
      .execute();
}

export async function deleteRule(db: Db, id: string): Promise<void> {
  await db.deleteFrom('access_rules').where('id', '=', id).execute();
}

/** Emails of these accounts, by id (for showing the users a rule names). */
export async function emailsOf(db: Db, userIds: readonly string[]): Promise<Map<string, string>> {
  if (userIds.length === 0) return new Map();
  const rows = await db.selectFrom('users').select(['id', 'email']).where('id', 'in', userIds).execute();
  return new Map(rows.map((r) => [r.id, r.email]));
}

// ---- OpenID Connect applications restricted to groups.

export async function setClientGroups(db: Db, clientId: string, groupIds: readonly string[]): Promise<void> {
  await db.deleteFrom('oidc_client_groups').where('client_id', '=', clientId).execute();
  if (groupIds.length > 0)
    await db
      .insertInto('oidc_client_groups')
      .values(groupIds.map((group_id) => ({ client_id: clientId, group_id })))
      .execute();
}

/** Group names each client is restricted to (a client open to everyone is absent). */
export async function clientGroupNames(db: Db, clientIds?: readonly string[]): Promise<Map<string, string[]>> {
  let query = db.selectFrom('oidc_client_groups as c').innerJoin('groups as g', 'g.id', 'c.group_id').select(['c.client_id', 'g.name']).orderBy('g.name');
  if (clientIds !== undefined) {
    if (clientIds.length === 0) return new Map();
    query = query.where('c.client_id', 'in', clientIds);
  }
  const byClient = new Map<string, string[]>();
  for (const row of await query.execute()) byClient.set(row.client_id, [...(byClient.get(row.client_id) ?? []), row.name]);
  return byClient;
}

/** Whether the account may use the client: it is open to everyone, or the account is in one of its groups. */
// Asked at every OpenID Connect token and userinfo request: both built once.
const clientRestriction = compiled((db, clientId: string) => db.selectFrom('oidc_client_groups').select('group_id').where('client_id', '=', clientId).limit(1));
const clientMembership = compiled((db, clientId: string, userId: string) =>
  db
    .selectFrom('oidc_client_groups as c')
    .innerJoin('group_members as m', 'm.group_id', 'c.group_id')
    .select('m.user_id')
    .where('c.client_id', '=', clientId)
    .where('m.user_id', '=', userId)
    .limit(1),
);

export async function mayUseClient(db: Db, clientId: string, userId: string): Promise<boolean> {
  if ((await clientRestriction(db, clientId)).rows.length === 0) return true;
  return (await clientMembership(db, clientId, userId)).rows.length > 0;
}
