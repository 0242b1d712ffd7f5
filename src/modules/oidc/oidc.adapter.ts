// oidc-provider's Adapter interface over Kysely: every artifact it keeps (authorization codes,
// access and refresh tokens, grants, its sessions, interactions) is a row in oidc_payloads, so an
// authorization started on one instance is redeemed on another. Applications ('Client') come from
// oidc_clients, with their secret decrypted only here, on the way into the provider.
import type { Kysely } from 'kysely';
import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import type { DB } from '../../db/schema.js';
import { clientMetadata } from './clients.service.js';
import * as repo from './oidc.repository.js';

export interface AdapterDeps {
  db: Kysely<DB>;
  clock: () => number;
  /** Opens a client's sealed secret. */
  openSecret: (clientId: string, sealed: string) => string;
}

/** Expired rows are never answered, even before housekeeping deletes them. */
function live(row: repo.PayloadRow | undefined, now: number): AdapterPayload | undefined {
  if (!row || (row.expires_at !== null && row.expires_at <= now)) return undefined;
  const payload = JSON.parse(row.payload) as AdapterPayload;
  // oidc-provider reads `consumed` to refuse a code or refresh token used before (and then
  // revokes the whole grant: refresh token reuse detection).
  return row.consumed_at === null ? payload : { ...payload, consumed: Math.floor(row.consumed_at / 1000) };
}

export function createAdapterClass(deps: AdapterDeps): new (model: string) => Adapter {
  const { db, clock } = deps;
  return class KyselyAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.model === 'Client') throw new Error('applications are created by Gatehouse, not by the provider');
      await repo.upsertPayload(db, {
        model: this.model,
        id,
        payload: JSON.stringify(payload),
        grant_id: payload.grantId ?? (this.model === 'Grant' ? id : null),
        uid: payload.uid ?? null,
        user_code: payload.userCode ?? null,
        account_id: payload.accountId ?? null,
        client_id: payload.clientId ?? null,
        expires_at: typeof expiresIn === 'number' && expiresIn > 0 ? clock() + expiresIn * 1000 : null,
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') {
        const row = await repo.findClient(db, id);
        return row ? (clientMetadata(row, deps.openSecret) as AdapterPayload) : undefined;
      }
      return live(await repo.findPayload(db, this.model, id), clock());
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return live(await repo.findPayloadBy(db, this.model, 'user_code', userCode), clock());
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return live(await repo.findPayloadBy(db, this.model, 'uid', uid), clock());
    }

    async consume(id: string): Promise<void> {
      // Compare-and-set: of two instances redeeming one code (or rotating one refresh token) at
      // once, both may have read it unused; only the one whose update lands gets tokens.
      if (!(await repo.consumePayload(db, this.model, id, clock()))) throw new errors.InvalidGrant('grant request is invalid');
    }

    async destroy(id: string): Promise<void> {
      await repo.destroyPayload(db, this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await repo.destroyByGrantId(db, grantId);
    }
  };
}
