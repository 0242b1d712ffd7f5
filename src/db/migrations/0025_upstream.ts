// Sign in with another provider (issue 34): upstream OpenID Connect providers an administrator
// configures, the accounts linked to them, and each sign-in's flow.
//
// - upstream_providers: the client Gatehouse is at each provider; its secret sealed with the secret
//   box (AES-256-GCM, the provider's id as associated data). trusted_mfa 1: an ID token whose amr
//   says mfa counts as Gatehouse's second step.
// - upstream_links: (provider, subject) → account. The subject is the provider's `sub`, never the
//   email: an email can move between people, a subject cannot.
// - upstream_flows: one per redirect to a provider, keyed by the SHA-256 of its `state` (the state
//   itself is never stored), with the PKCE verifier sealed and the nonce; 10 minutes; spent once by
//   a conditional UPDATE, so a replayed callback is refused.
// - upstream_link_tickets: an upstream identity whose verified email matches an account, waiting
//   (10 minutes) for the person to prove that account with its password; only the SHA-256 of the
//   ticket (an HttpOnly cookie) is stored.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('upstream_providers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('client_secret', 'text', (c) => c.notNull())
    .addColumn('trusted_mfa', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('upstream_links')
    .addColumn('provider_id', 'text', (c) => c.notNull().references('upstream_providers.id').onDelete('cascade'))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('email', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('upstream_links_pk', ['provider_id', 'subject'])
    .execute();
  await db.schema.createIndex('upstream_links_user_id').on('upstream_links').column('user_id').execute();

  await db.schema
    .createTable('upstream_flows')
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('provider_id', 'text', (c) => c.notNull().references('upstream_providers.id').onDelete('cascade'))
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('return_to', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();

  await db.schema
    .createTable('upstream_link_tickets')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('provider_id', 'text', (c) => c.notNull().references('upstream_providers.id').onDelete('cascade'))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('return_to', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
}
