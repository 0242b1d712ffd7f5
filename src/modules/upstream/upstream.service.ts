// Upstream OpenID Connect providers (issue 34): what administrators add, change and remove, how
// Gatehouse talks to one (discovery through openid-client, panva's certified relying party), and
// the links an account owner sees and removes. The sign-in flow itself is upstream-sign-in.service.ts.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import * as client from 'openid-client';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../http/errors.js';
import { decryptSecret, encryptSecret } from '../../crypto/secret-box.js';
import type { Actor, RecordAudit } from '../audit/index.js';
import type { AdminUpstreamProvider, UpstreamLink, UpstreamProviderSummary } from '../../shared/api-types.js';
import { DIRECTORY_PASSWORD_MARK, findUserById } from '../users/index.js';
import * as repo from './upstream.repository.js';

/** What an account created from a provider has as its password hash: no Argon2id hash equals it. */
export const UPSTREAM_PASSWORD_MARK = '!upstream';
/** Seconds discovery and token calls may take before the provider counts as not answering. */
const PROVIDER_TIMEOUT_SECONDS = 10;

/** The binding of a sealed client secret to its provider: a ciphertext moved to another row fails. */
const secretAad = (providerId: string) => `upstream-provider ${providerId}`;
/** What binds a flow's sealed PKCE verifier to its row. */
export const flowAad = (stateHash: string) => `upstream-flow ${stateHash}`;

export interface NewProvider {
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  trustedMfa?: boolean;
}

export interface UpstreamDeps {
  db: Kysely<DB>;
  secretBox: Buffer;
  audit: RecordAudit;
  clock: () => number;
  /** Whether accounts from the directory sign in with their directory password (GATEHOUSE_LDAP_URL). */
  directory: boolean;
}

/** http:// only for a provider on this machine (tests, a local lab); anything else must be https. */
function issuerUrl(issuer: string): URL {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new AppError('invalid_request', 'The issuer is not a URL.');
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new AppError('invalid_request', 'The issuer must be an https URL.');
  if (url.search || url.hash) throw new AppError('invalid_request', 'The issuer has no query or fragment.');
  return url;
}

function present(row: repo.ProviderRow): AdminUpstreamProvider {
  return {
    id: row.id,
    name: row.name,
    issuer: row.issuer,
    clientId: row.client_id,
    trustedMfa: row.trusted_mfa === 1,
    enabled: row.enabled === 1,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/**
 * Re-seals the providers' client secrets and the waiting flows' PKCE verifiers from the old master
 * key's box to the new one, in the caller's transaction (`gatehouse rotate-key`): without it, every
 * provider stops working after a rotation.
 */
export async function resealUpstreamSecrets(trx: Kysely<DB>, oldBox: Buffer, newBox: Buffer): Promise<void> {
  const { providers, flows } = await repo.listSealed(trx);
  for (const row of providers) {
    const aad = secretAad(row.id);
    await repo.updateProviderSecret(trx, row.id, encryptSecret(newBox, decryptSecret(oldBox, row.client_secret, aad), aad));
  }
  for (const row of flows) {
    const aad = flowAad(row.state_hash);
    await repo.updateFlowVerifier(trx, row.state_hash, encryptSecret(newBox, decryptSecret(oldBox, row.code_verifier, aad), aad));
  }
}

export class UpstreamService {
  constructor(private readonly deps: UpstreamDeps) {}

  /**
   * The provider as openid-client's Configuration, from its discovery document. `clockSkew` makes
   * openid-client judge the ID token's iat and exp by Gatehouse's injected clock, not the machine's:
   * its "now" is the real epoch plus this offset (oauth4webapi: `epochTime() + clockSkew`).
   */
  async configure(provider: Pick<repo.ProviderRow, 'id' | 'issuer' | 'client_id' | 'client_secret'>): Promise<client.Configuration> {
    const url = issuerUrl(provider.issuer);
    const secret = decryptSecret(this.deps.secretBox, provider.client_secret, secretAad(provider.id));
    const skew = Math.floor(this.deps.clock() / 1000) - Math.floor(Date.now() / 1000);
    return client.discovery(url, provider.client_id, { [client.clockSkew]: skew }, client.ClientSecretBasic(secret), {
      timeout: PROVIDER_TIMEOUT_SECONDS,
      ...(url.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
    });
  }

  async find(id: string): Promise<repo.ProviderRow | undefined> {
    return /^[0-9a-f-]{36}$/i.test(id) ? repo.findProvider(this.deps.db, id) : undefined;
  }

  /** The sign-in page's buttons. */
  async enabled(): Promise<UpstreamProviderSummary[]> {
    return (await repo.listProviders(this.deps.db, true)).map((p) => ({ id: p.id, name: p.name }));
  }

  async list(): Promise<AdminUpstreamProvider[]> {
    return (await repo.listProviders(this.deps.db)).map(present);
  }

  /** Adds a provider after its discovery answers: an unreachable or invalid issuer saves nothing. */
  async add(input: NewProvider, actor: Actor, address: string | null): Promise<AdminUpstreamProvider> {
    const { db, clock, secretBox } = this.deps;
    const id = randomUUID();
    const row: repo.ProviderRow = {
      id,
      name: input.name.trim(),
      issuer: input.issuer.trim(),
      client_id: input.clientId,
      client_secret: encryptSecret(secretBox, input.clientSecret, secretAad(id)),
      trusted_mfa: input.trustedMfa ? 1 : 0,
      enabled: 1,
      created_at: clock(),
    };
    if (row.name === '') throw new AppError('invalid_request', 'The name is empty.');
    issuerUrl(row.issuer);
    try {
      await this.configure(row);
    } catch (error) {
      throw new AppError('upstream_discovery_failed', undefined, { detail: (error as Error).message?.slice(0, 200) });
    }
    await repo.insertProvider(db, row);
    await this.deps.audit({
      kind: 'upstream.provider_added',
      actor,
      address,
      details: { providerId: id, name: row.name, issuer: row.issuer, trustedMfa: input.trustedMfa ?? false },
    });
    return present(row);
  }

  async change(
    id: string,
    change: { enabled?: boolean; name?: string; trustedMfa?: boolean },
    actor: Actor,
    address: string | null,
  ): Promise<AdminUpstreamProvider> {
    const provider = await this.find(id);
    if (!provider) throw new AppError('not_found', 'No such provider.');
    const name = change.name?.trim();
    if (name === '') throw new AppError('invalid_request', 'The name is empty.');
    const set = {
      ...(name === undefined ? {} : { name }),
      ...(change.enabled === undefined ? {} : { enabled: change.enabled ? 1 : 0 }),
      ...(change.trustedMfa === undefined ? {} : { trusted_mfa: change.trustedMfa ? 1 : 0 }),
    };
    await repo.updateProvider(this.deps.db, id, set);
    await this.deps.audit({ kind: 'upstream.provider_changed', actor, address, details: { providerId: id, ...change } });
    return present({ ...provider, ...set });
  }

  /** Removes the provider with every link to it: its accounts stay, and sign in otherwise. */
  async remove(id: string, actor: Actor, address: string | null): Promise<void> {
    const provider = await this.find(id);
    if (!provider || !(await repo.deleteProvider(this.deps.db, id))) throw new AppError('not_found', 'No such provider.');
    await this.deps.audit({ kind: 'upstream.provider_removed', actor, address, details: { providerId: id, name: provider.name } });
  }

  async linksOf(userId: string): Promise<UpstreamLink[]> {
    return (await repo.linksOf(this.deps.db, userId)).map((l) => ({
      providerId: l.provider_id,
      providerName: l.name,
      email: l.email,
      createdAt: new Date(l.created_at).toISOString(),
    }));
  }

  /**
   * The owner removes a link. Refused when it is the account's last way in: no usable password
   * (an account the provider created has none) and no other link.
   */
  async unlink(user: { id: string; email: string }, providerId: string, address: string | null): Promise<void> {
    const { db } = this.deps;
    const links = await repo.linksOf(db, user.id);
    if (!links.some((l) => l.provider_id === providerId)) throw new AppError('not_found', 'This account is not linked to that provider.');
    const row = await findUserById(db, user.id);
    const usablePassword = row !== undefined && (!row.password_hash.startsWith('!') || (row.password_hash === DIRECTORY_PASSWORD_MARK && this.deps.directory));
    if (!usablePassword && links.length === 1) throw new AppError('last_way_to_sign_in');
    await repo.deleteLinksOf(db, user.id, providerId);
    await this.deps.audit({ kind: 'upstream.unlinked', actor: user, subject: user, address, details: { providerId } });
  }
}
