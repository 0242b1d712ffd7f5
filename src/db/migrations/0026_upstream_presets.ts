// Sign in with another provider, the rest of issue 34:
// - upstream_providers.kind: 'oidc' (discovery) or 'github' (OAuth 2.0 and GitHub's user API, since
//   GitHub speaks no OpenID Connect); logo: a data: URL the administrator uploaded (the sign-in page
//   never loads a third-party image); groups_claim and group_map: which claim names the person's
//   groups upstream, and which upstream value means which local group (JSON object).
// - upstream_link_tickets.pending_session: the SHA-256 of the pending session the link step's
//   password made, so the second factor completes that one and no other of the account.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('upstream_providers')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('oidc'))
    .execute();
  await db.schema.alterTable('upstream_providers').addColumn('logo', 'text').execute();
  await db.schema.alterTable('upstream_providers').addColumn('groups_claim', 'text').execute();
  await db.schema
    .alterTable('upstream_providers')
    .addColumn('group_map', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
  await db.schema.alterTable('upstream_link_tickets').addColumn('pending_session', 'text').execute();
}
