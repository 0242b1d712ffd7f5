// PKCE for every OpenID Connect application (issue 28; OAuth 2.0 Security BCP, RFC 9700 §2.1.1,
// and OAuth 2.1 want it of confidential clients too), unless an administrator marks one as legacy:
// 1 lets a confidential application that cannot send a code_challenge sign in without it.
// Existing confidential applications are marked legacy by this migration, so an upgrade breaks
// none of them; the README says how to take the mark off.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('oidc_clients')
    .addColumn('pkce_optional', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.updateTable('oidc_clients').set({ pkce_optional: 1 }).where('secret_ciphertext', 'is not', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('oidc_clients').dropColumn('pkce_optional').execute();
}
