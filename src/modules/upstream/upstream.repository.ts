// SQL for upstream providers, the accounts linked to them, the sign-in flows and the link tickets.
// A flow and a ticket are each spent by one conditional UPDATE: of two racing callbacks (or a
// replayed one) exactly one gets true.
import type { Kysely, Selectable } from 'kysely';
import type { DB, UpstreamFlowsTable, UpstreamLinkTicketsTable, UpstreamLinksTable, UpstreamProvidersTable } from '../../db/schema.js';

export type ProviderRow = Selectable<UpstreamProvidersTable>;
export type LinkRow = Selectable<UpstreamLinksTable>;
export type FlowRow = Selectable<UpstreamFlowsTable>;
export type TicketRow = Selectable<UpstreamLinkTicketsTable>;

export async function insertProvider(db: Kysely<DB>, row: ProviderRow): Promise<void> {
  await db.insertInto('upstream_providers').values(row).execute();
}

export async function listProviders(db: Kysely<DB>, enabledOnly = false): Promise<ProviderRow[]> {
  let query = db.selectFrom('upstream_providers').selectAll();
  if (enabledOnly) query = query.where('enabled', '=', 1);
  return query.orderBy('name').orderBy('id').execute();
}

export async function findProvider(db: Kysely<DB>, id: string): Promise<ProviderRow | undefined> {
  return db.selectFrom('upstream_providers').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateProvider(
  db: Kysely<DB>,
  id: string,
  change: Partial<Pick<ProviderRow, 'name' | 'enabled' | 'trusted_mfa' | 'logo' | 'groups_claim' | 'group_map'>>,
): Promise<void> {
  if (Object.keys(change).length === 0) return;
  await db.updateTable('upstream_providers').set(change).where('id', '=', id).execute();
}

/** Deletes the provider; its links, flows and tickets go with it (foreign keys, cascade). */
export async function deleteProvider(db: Kysely<DB>, id: string): Promise<boolean> {
  const result = await db.deleteFrom('upstream_providers').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export async function findLink(db: Kysely<DB>, providerId: string, subject: string): Promise<LinkRow | undefined> {
  return db.selectFrom('upstream_links').selectAll().where('provider_id', '=', providerId).where('subject', '=', subject).executeTakeFirst();
}

export async function insertLink(db: Kysely<DB>, row: LinkRow): Promise<void> {
  await db.insertInto('upstream_links').values(row).execute();
}

/** The account's links with their providers' names, oldest first. */
export async function linksOf(db: Kysely<DB>, userId: string) {
  return db
    .selectFrom('upstream_links')
    .innerJoin('upstream_providers', 'upstream_providers.id', 'upstream_links.provider_id')
    .select(['upstream_links.provider_id', 'upstream_providers.name', 'upstream_links.email', 'upstream_links.created_at'])
    .where('upstream_links.user_id', '=', userId)
    .orderBy('upstream_links.created_at')
    .execute();
}

export async function deleteLinksOf(db: Kysely<DB>, userId: string, providerId: string): Promise<number> {
  const result = await db.deleteFrom('upstream_links').where('user_id', '=', userId).where('provider_id', '=', providerId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Ends the account's links and waiting link tickets (see endUpstreamAccess), unless the account has
 * no password of its own (made by a provider): its links are then its only way in.
 */
export async function deleteLinksAndTicketsOf(db: Kysely<DB>, userId: string, keepLinksOfMark: string): Promise<void> {
  await db.deleteFrom('upstream_link_tickets').where('user_id', '=', userId).execute();
  await db
    .deleteFrom('upstream_links')
    .where('user_id', '=', userId)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('users').select('id').where('id', '=', userId).where('password_hash', '=', keepLinksOfMark))))
    .execute();
}

/** Notes the pending session the link step's password made: only that one may finish the link. */
export async function bindTicketToSession(db: Kysely<DB>, tokenHash: string, sessionHash: string): Promise<void> {
  await db.updateTable('upstream_link_tickets').set({ pending_session: sessionHash }).where('token_hash', '=', tokenHash).execute();
}

export async function insertFlow(db: Kysely<DB>, row: FlowRow): Promise<void> {
  await db.insertInto('upstream_flows').values(row).execute();
}

export async function findFlow(db: Kysely<DB>, stateHash: string): Promise<FlowRow | undefined> {
  return db.selectFrom('upstream_flows').selectAll().where('state_hash', '=', stateHash).executeTakeFirst();
}

/** Spends the flow: true for exactly one caller, the first. */
export async function spendFlow(db: Kysely<DB>, stateHash: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('upstream_flows')
    .set({ used_at: now })
    .where('state_hash', '=', stateHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function insertTicket(db: Kysely<DB>, row: TicketRow): Promise<void> {
  await db.insertInto('upstream_link_tickets').values(row).execute();
}

export async function findTicket(db: Kysely<DB>, tokenHash: string): Promise<TicketRow | undefined> {
  return db.selectFrom('upstream_link_tickets').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** Spends the ticket while it is still good: true for exactly one caller. */
export async function spendTicket(db: Kysely<DB>, tokenHash: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('upstream_link_tickets')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Flows and tickets that ended before `before`. */
export async function pruneFlows(db: Kysely<DB>, before: number): Promise<void> {
  await db.deleteFrom('upstream_flows').where('expires_at', '<', before).execute();
  await db.deleteFrom('upstream_link_tickets').where('expires_at', '<', before).execute();
}

/** Every sealed value the module holds (providers' client secrets, flows' PKCE verifiers): a key rotation re-seals them. */
export async function listSealed(db: Kysely<DB>) {
  const providers = await db.selectFrom('upstream_providers').select(['id', 'client_secret']).execute();
  const flows = await db.selectFrom('upstream_flows').select(['state_hash', 'code_verifier']).execute();
  return { providers, flows };
}

export async function updateProviderSecret(db: Kysely<DB>, id: string, sealed: string): Promise<void> {
  await db.updateTable('upstream_providers').set({ client_secret: sealed }).where('id', '=', id).execute();
}

export async function updateFlowVerifier(db: Kysely<DB>, stateHash: string, sealed: string): Promise<void> {
  await db.updateTable('upstream_flows').set({ code_verifier: sealed }).where('state_hash', '=', stateHash).execute();
}
