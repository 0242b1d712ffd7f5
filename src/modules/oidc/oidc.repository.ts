// SQL for the OpenID Connect provider: its artifacts (one JSON row each), the applications, the
// signing keys, and the factors a Gatehouse session proved. Functions take the database (or a
// transaction) first.
import { compiled } from '../../db/compiled.js';
import type { Kysely, Selectable } from 'kysely';
import type { DB, OidcClientsTable, OidcPayloadsTable, OidcSigningKeysTable } from '../../db/schema.js';

export type ClientRow = Selectable<OidcClientsTable>;
export type SigningKeyRow = Selectable<OidcSigningKeysTable>;

export interface PayloadRow {
  payload: string;
  expires_at: number | null;
  consumed_at: number | null;
}

// ---- artifacts (oidc-provider's Adapter) ----

export async function upsertPayload(db: Kysely<DB>, row: Omit<OidcPayloadsTable, 'consumed_at'>): Promise<void> {
  const { model, id, ...rest } = row;
  await db
    .insertInto('oidc_payloads')
    .values({ ...row, consumed_at: null })
    .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet({ ...rest, consumed_at: null }))
    .execute();
}

// The provider reads, spends and drops artifacts at every token and userinfo request: these are
// built once (db/compiled.ts), not per call.
const selectPayload = compiled((db, model: string, id: string) =>
  db.selectFrom('oidc_payloads').select(['payload', 'expires_at', 'consumed_at']).where('model', '=', model).where('id', '=', id),
);
const selectPayloadByUid = compiled((db, model: string, value: string) =>
  db.selectFrom('oidc_payloads').select(['payload', 'expires_at', 'consumed_at']).where('model', '=', model).where('uid', '=', value),
);
const selectPayloadByUserCode = compiled((db, model: string, value: string) =>
  db.selectFrom('oidc_payloads').select(['payload', 'expires_at', 'consumed_at']).where('model', '=', model).where('user_code', '=', value),
);
const markConsumed = compiled((db, model: string, id: string, now: number) =>
  db.updateTable('oidc_payloads').set({ consumed_at: now }).where('model', '=', model).where('id', '=', id).where('consumed_at', 'is', null),
);
const deletePayload = compiled((db, model: string, id: string) => db.deleteFrom('oidc_payloads').where('model', '=', model).where('id', '=', id));

export async function findPayload(db: Kysely<DB>, model: string, id: string): Promise<PayloadRow | undefined> {
  return (await selectPayload(db, model, id)).rows[0];
}

export async function findPayloadBy(db: Kysely<DB>, model: string, column: 'uid' | 'user_code', value: string): Promise<PayloadRow | undefined> {
  return (await (column === 'uid' ? selectPayloadByUid : selectPayloadByUserCode)(db, model, value)).rows[0];
}

/** Marks an artifact used; answers whether this call was the one that did it. */
export async function consumePayload(db: Kysely<DB>, model: string, id: string, now: number): Promise<boolean> {
  return Number((await markConsumed(db, model, id, now)).numAffectedRows ?? 0) > 0;
}

export async function destroyPayload(db: Kysely<DB>, model: string, id: string): Promise<void> {
  await deletePayload(db, model, id);
}

/** Every artifact of a grant (codes, tokens, the grant itself): how a grant is revoked. */
export async function destroyByGrantId(db: Kysely<DB>, grantId: string): Promise<void> {
  await db.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).execute();
}

export async function deleteExpiredPayloads(db: Kysely<DB>, now: number): Promise<void> {
  await db.deleteFrom('oidc_payloads').where('expires_at', '<=', now).execute();
}

/** A person's live grants (what they allowed each application). */
export async function listGrantsOf(db: Kysely<DB>, accountId: string, now: number): Promise<Array<{ client_id: string | null; payload: string }>> {
  return db
    .selectFrom('oidc_payloads')
    .select(['client_id', 'payload'])
    .where('account_id', '=', accountId)
    .where('model', '=', 'Grant')
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .execute();
}

/** Ends what a person allowed one application: their grants and every code and token issued under them. */
export async function deleteGrantsOf(db: Kysely<DB>, accountId: string, clientId: string): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const grants = await trx
      .selectFrom('oidc_payloads')
      .select('id')
      .where('account_id', '=', accountId)
      .where('client_id', '=', clientId)
      .where('model', '=', 'Grant')
      .execute();
    const ids = grants.map((g) => g.id);
    if (ids.length > 0) await trx.deleteFrom('oidc_payloads').where('grant_id', 'in', ids).execute();
    return ids.length;
  });
}

/**
 * Every grant of the account, with every code and token issued under them (refresh tokens
 * included), in the caller's transaction: what ending an account's sessions also does, so that a
 * stolen cookie's long-lived OpenID Connect access ends with the sessions (issue 28).
 */
export async function revokeAllGrantsOf(db: Kysely<DB>, accountId: string): Promise<void> {
  const grants = await db.selectFrom('oidc_payloads').select('id').where('account_id', '=', accountId).where('model', '=', 'Grant').execute();
  const ids = grants.map((g) => g.id);
  if (ids.length > 0) await db.deleteFrom('oidc_payloads').where('grant_id', 'in', ids).execute();
  // The provider's own session rows of the account: a new authorization starts from a Gatehouse session again.
  await db.deleteFrom('oidc_payloads').where('account_id', '=', accountId).execute();
}

// ---- applications ----

export async function insertClient(db: Kysely<DB>, row: ClientRow): Promise<void> {
  await db.insertInto('oidc_clients').values(row).execute();
}

const selectClient = compiled((db, id: string) => db.selectFrom('oidc_clients').selectAll().where('id', '=', id));

export async function findClient(db: Kysely<DB>, id: string): Promise<ClientRow | undefined> {
  return (await selectClient(db, id)).rows[0];
}

export async function listClients(db: Kysely<DB>): Promise<ClientRow[]> {
  return db.selectFrom('oidc_clients').selectAll().orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
}

export async function clientNames(db: Kysely<DB>, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('oidc_clients').select(['id', 'name']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Deletes an application and everything issued to it, in one transaction. */
export async function deleteClient(db: Kysely<DB>, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    // Its pending logout tokens go too: a deleted application has no one left to hear them.
    await trx.deleteFrom('oidc_backchannel_logouts').where('client_id', '=', id).execute();
    const result = await trx.deleteFrom('oidc_clients').where('id', '=', id).executeTakeFirst();
    await trx.deleteFrom('oidc_payloads').where('client_id', '=', id).execute();
    return Number(result.numDeletedRows) > 0;
  });
}

/** Back-channel logout settings of an application (clients.service.ts checked the address). */
export async function updateClientLogout(
  db: Kysely<DB>,
  id: string,
  change: { backchannel_logout_uri?: string | null; backchannel_logout_session_required?: number },
): Promise<void> {
  await db.updateTable('oidc_clients').set(change).where('id', '=', id).execute();
}

export async function listClientSecrets(db: Kysely<DB>): Promise<Array<{ id: string; secret_ciphertext: string }>> {
  const rows = await db.selectFrom('oidc_clients').select(['id', 'secret_ciphertext']).where('secret_ciphertext', 'is not', null).execute();
  return rows.map((r) => ({ id: r.id, secret_ciphertext: r.secret_ciphertext! }));
}

export async function updateClientSecret(db: Kysely<DB>, id: string, secretCiphertext: string): Promise<void> {
  await db.updateTable('oidc_clients').set({ secret_ciphertext: secretCiphertext }).where('id', '=', id).execute();
}

// ---- signing keys ----

export async function listSigningKeys(db: Kysely<DB>): Promise<SigningKeyRow[]> {
  // The signing key (not retired) first, then the retired ones newest first.
  const rows = await db.selectFrom('oidc_signing_keys').selectAll().execute();
  return rows.sort((a, b) => (a.retired_at === null ? -1 : b.retired_at === null ? 1 : b.retired_at - a.retired_at));
}

/** Adds the first key unless another instance already did (instances starting together). */
export async function insertFirstSigningKey(db: Kysely<DB>, row: SigningKeyRow): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const any = await trx.selectFrom('oidc_signing_keys').select('kid').limit(1).executeTakeFirst();
    if (!any)
      await trx
        .insertInto('oidc_signing_keys')
        .values(row)
        .onConflict((oc) => oc.column('kid').doNothing())
        .execute();
  });
}

/** Rotation: the current key retires, the new one signs; keys retired before `forgetBefore` go. */
export async function rotateSigningKey(db: Kysely<DB>, row: SigningKeyRow, forgetBefore: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('oidc_signing_keys').set({ retired_at: row.created_at }).where('retired_at', 'is', null).execute();
    await trx.deleteFrom('oidc_signing_keys').where('retired_at', '<', forgetBefore).execute();
    await trx.insertInto('oidc_signing_keys').values(row).execute();
  });
}

export async function updateSealedKey(db: Kysely<DB>, kid: string, sealed: string): Promise<void> {
  await db.updateTable('oidc_signing_keys').set({ sealed_jwk: sealed }).where('kid', '=', kid).execute();
}

/** A cheap fingerprint of the key set: instances compare it to notice a rotation made elsewhere. */
export async function signingKeysVersion(db: Kysely<DB>): Promise<string> {
  const rows = await db.selectFrom('oidc_signing_keys').select(['kid', 'retired_at']).orderBy('kid').execute();
  return rows.map((r) => `${r.kid}:${r.retired_at ?? ''}`).join(',');
}

// ---- the factors of a Gatehouse session ----

export async function findSessionFactors(db: Kysely<DB>, tokenHash: string): Promise<{ amr: string[]; createdAt: number }> {
  const row = await db.selectFrom('sessions').select(['amr', 'created_at']).where('token_hash', '=', tokenHash).executeTakeFirst();
  let amr: string[] = [];
  try {
    const parsed: unknown = row?.amr ? JSON.parse(row.amr) : [];
    if (Array.isArray(parsed)) amr = parsed.filter((v): v is string => typeof v === 'string');
  } catch {
    // an unreadable value proves nothing
  }
  return { amr, createdAt: row?.created_at ?? 0 };
}
