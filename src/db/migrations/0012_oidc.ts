// OpenID Connect provider: its state (codes, tokens, grants, sessions, interactions) as JSON rows,
// the applications, the signing keys (sealed), and the factors each Gatehouse session proved.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // One table for every oidc-provider model: each row is one artifact, found by (model, id) and
  // revoked together by grant_id; account_id lets a person list and revoke their own grants, client_id
  // lets a deleted application take everything issued to it along.
  await db.schema
    .createTable('oidc_payloads')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('grant_id', 'text')
    .addColumn('uid', 'text')
    .addColumn('user_code', 'text')
    .addColumn('account_id', 'text')
    .addColumn('client_id', 'text')
    .addColumn('expires_at', 'bigint')
    .addColumn('consumed_at', 'bigint')
    .addPrimaryKeyConstraint('oidc_payloads_pk', ['model', 'id'])
    .execute();
  await db.schema.createIndex('oidc_payloads_grant_id').on('oidc_payloads').column('grant_id').execute();
  await db.schema.createIndex('oidc_payloads_uid').on('oidc_payloads').columns(['model', 'uid']).execute();
  await db.schema.createIndex('oidc_payloads_account').on('oidc_payloads').columns(['account_id', 'model']).execute();
  await db.schema.createIndex('oidc_payloads_client_id').on('oidc_payloads').column('client_id').execute();
  await db.schema.createIndex('oidc_payloads_expires_at').on('oidc_payloads').column('expires_at').execute();

  await db.schema
    .createTable('oidc_clients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    /** AES-256-GCM ciphertext of the secret (the client id as associated data); null for a public client. */
    .addColumn('secret_ciphertext', 'text')
    .addColumn('redirect_uris', 'text', (c) => c.notNull())
    .addColumn('post_logout_redirect_uris', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('require_2fa', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('trusted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('oidc_signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    /** The private JWK, sealed under the master key (the kid as associated data). */
    .addColumn('sealed_jwk', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    /** null: the key that signs; otherwise when it stopped signing (it stays published a while). */
    .addColumn('retired_at', 'bigint')
    .execute();

  // The authentication methods (RFC 8176) a session proved at sign-in, as a JSON array.
  await db.schema.alterTable('sessions').addColumn('amr', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('amr').execute();
  for (const table of ['oidc_signing_keys', 'oidc_clients', 'oidc_payloads']) await db.schema.dropTable(table).execute();
}
