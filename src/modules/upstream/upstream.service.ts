// Upstream OpenID Connect providers (issue 34): what administrators add, change and remove, how
// Gatehouse talks to one (discovery through openid-client, panva's certified relying party), and
// the links an account owner sees and removes. The sign-in flow itself is upstream-sign-in.service.ts.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import * as client from 'openid-client';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../http/errors.js';
import { NO_CONTROL } from '../../http/query.js';
import { decryptSecret, encryptSecret } from '../../crypto/secret-box.js';
import type { Actor, RecordAudit } from '../audit/index.js';
import type { AdminUpstreamProvider, ProviderPreset, UpstreamLink, UpstreamProviderSummary } from '../../shared/api-types.js';
import type { GroupsService } from '../access/index.js';
import { DIRECTORY_PASSWORD_MARK, findUserById } from '../users/index.js';
import * as repo from './upstream.repository.js';
import { type GitHubEndpoints, githubConfiguration, githubEndpoints } from './github.js';

/** What an account created from a provider has as its password hash: no Argon2id hash equals it. */
export const UPSTREAM_PASSWORD_MARK = '!upstream';
/** Seconds discovery and token calls may take before the provider counts as not answering. */
const PROVIDER_TIMEOUT_SECONDS = 10;

/** The binding of a sealed client secret to its provider: a ciphertext moved to another row fails. */
const secretAad = (providerId: string) => `upstream-provider ${providerId}`;
/** What binds a flow's sealed PKCE verifier to its row. */
export const flowAad = (stateHash: string) => `upstream-flow ${stateHash}`;

/** How long a provider's discovery document is reused before it is fetched again. */
const DISCOVERY_TTL_MS = 10 * 60_000;

/**
 * Where a provider is, by preset: any OpenID Connect issuer, or one of the common ones by name.
 * GitHub is OAuth 2.0 with its user API (it speaks no OpenID Connect); its issuer is github.com or a
 * GitHub Enterprise Server's address.
 */
export type { ProviderPreset };
export const PROVIDER_PRESETS: readonly ProviderPreset[] = ['oidc', 'google', 'entra', 'gitlab', 'github'];

export interface NewProvider {
  preset?: ProviderPreset;
  name: string;
  /** The issuer (oidc; a self-managed GitLab; a GitHub Enterprise Server): the preset's own otherwise. */
  issuer?: string;
  /** Entra ID's directory (tenant) id or domain. */
  tenant?: string;
  clientId: string;
  clientSecret: string;
  trustedMfa?: boolean;
  logo?: string | null;
  groupsClaim?: string | null;
  groupMap?: Record<string, string>;
}

export interface ProviderChange {
  enabled?: boolean;
  name?: string;
  trustedMfa?: boolean;
  logo?: string | null;
  groupsClaim?: string | null;
  groupMap?: Record<string, string>;
}

/** How Gatehouse talks to one provider: openid-client's Configuration, and GitHub's API address. */
export interface ProviderClient {
  kind: 'oidc' | 'github';
  config: client.Configuration;
  /** GitHub's endpoints (kind github). */
  github: GitHubEndpoints | null;
}

/** A provider's name as the sign-in button shows it: 1–64 characters, no control characters. */
const NAME = new RegExp(`^[^${NO_CONTROL}]{1,64}$`);
/** A logo the administrator uploaded: an image as a data: URL (never a third-party address); 32 KB of image is 43,692 characters of base64. */
const LOGO = /^data:image\/(?:png|jpeg|webp|svg\+xml);base64,[A-Za-z0-9+/]+={0,2}$/;
const LOGO_MAX = 'data:image/svg+xml;base64,'.length + Math.ceil((32 * 1024) / 3) * 4;
/** Any control character: never in an identifier. */
export const CONTROL = new RegExp(`[${NO_CONTROL}]`);
const CLAIM = /^[A-Za-z0-9_:./-]{1,128}$/;
/**
 * Entra ID tenant: its directory id (a GUID). Not a domain: the discovery document of a domain names
 * the GUID issuer, which openid-client (rightly) refuses as another issuer; not common/organizations/
 * consumers, whose ID tokens each carry another issuer.
 */
const TENANT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface UpstreamDeps {
  db: Kysely<DB>;
  secretBox: Buffer;
  audit: RecordAudit;
  clock: () => number;
  /** Whether accounts from the directory sign in with their directory password (GATEHOUSE_LDAP_URL). */
  directory: boolean;
  /** Checks that a group mapping names local groups. */
  groups: Pick<GroupsService, 'findByName'>;
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

/** The issuer a preset means (its own, or the one given where the preset allows another). */
function presetIssuer(input: Pick<NewProvider, 'preset' | 'issuer' | 'tenant'>): { kind: 'oidc' | 'github'; issuer: string } {
  const given = input.issuer?.trim() || undefined;
  switch (input.preset ?? 'oidc') {
    case 'oidc':
      if (!given) throw new AppError('invalid_request', 'The issuer is required.');
      return { kind: 'oidc', issuer: given };
    case 'google':
      return { kind: 'oidc', issuer: 'https://accounts.google.com' };
    case 'entra': {
      const tenant = input.tenant?.trim() ?? '';
      if (!TENANT.test(tenant))
        throw new AppError('invalid_request', 'Entra ID needs its tenant id (Directory (tenant) ID, a GUID, on the app registration’s Overview).');
      return { kind: 'oidc', issuer: `https://login.microsoftonline.com/${tenant.toLowerCase()}/v2.0` };
    }
    case 'gitlab':
      return { kind: 'oidc', issuer: given ?? 'https://gitlab.com' };
    case 'github':
      return { kind: 'github', issuer: given ?? 'https://github.com' };
  }
}

function checkName(raw: string): string {
  const name = raw.trim();
  if (!NAME.test(name)) throw new AppError('invalid_request', 'The name is 1 to 64 characters, without control characters.');
  return name;
}

function checkLogo(logo: string | null): string | null {
  if (logo === null) return null;
  if (logo.length > LOGO_MAX || !LOGO.test(logo))
    throw new AppError('invalid_request', 'The logo is a PNG, JPEG, WebP or SVG image as a base64 data: URL, up to 32 KB.');
  return logo;
}

function checkClaim(claim: string | null): string | null {
  if (claim === null || claim.trim() === '') return null;
  if (!CLAIM.test(claim.trim())) throw new AppError('invalid_request', 'The groups claim is a claim name (letters, digits, _ : . / -).');
  return claim.trim();
}

function parseGroupMap(text: string): Record<string, string> {
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, string>;
  } catch {
    // A row written by this code is always an object; anything else maps nothing.
  }
  return {};
}

function present(row: repo.ProviderRow): AdminUpstreamProvider {
  return {
    id: row.id,
    kind: row.kind === 'github' ? 'github' : 'oidc',
    name: row.name,
    issuer: row.issuer,
    clientId: row.client_id,
    trustedMfa: row.trusted_mfa === 1,
    enabled: row.enabled === 1,
    logo: row.logo,
    groupsClaim: row.groups_claim,
    groupMap: parseGroupMap(row.group_map),
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** The provider's mapping of upstream group values to local group names (see UpstreamSignInService). */
export function groupMapOf(row: Pick<repo.ProviderRow, 'group_map'>): Record<string, string> {
  return parseGroupMap(row.group_map);
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

  /** Discovery documents by provider, keyed by what they were fetched with (a row changed on another instance misses). */
  private readonly discovered = new Map<string, { key: string; at: number; client: ProviderClient }>();

  /**
   * How to talk to the provider: openid-client's Configuration from its discovery document (reused
   * for 10 minutes), or GitHub's fixed endpoints. `clockSkew` makes openid-client judge the ID
   * token's iat and exp by Gatehouse's injected clock, not the machine's: its "now" is the real
   * epoch plus this offset (oauth4webapi: `epochTime() + clockSkew`).
   */
  async configure(provider: Pick<repo.ProviderRow, 'id' | 'kind' | 'issuer' | 'client_id' | 'client_secret'>): Promise<ProviderClient> {
    const url = issuerUrl(provider.issuer);
    const now = this.deps.clock();
    // The skew is part of what a Configuration was made with: an injected clock moved since (a
    // test's) must not be judged by the old offset, so a different skew is a miss.
    const skew = Math.round((now - Date.now()) / 1000);
    const key = `${provider.kind} ${provider.issuer} ${provider.client_id} ${provider.client_secret} ${skew}`;
    const cached = this.discovered.get(provider.id);
    if (cached && cached.key === key && now - cached.at < DISCOVERY_TTL_MS && now >= cached.at) return cached.client;
    const secret = decryptSecret(this.deps.secretBox, provider.client_secret, secretAad(provider.id));
    const insecure = url.protocol === 'http:';
    let made: ProviderClient;
    if (provider.kind === 'github') {
      const endpoints = githubEndpoints(url);
      const config = githubConfiguration(endpoints, provider.client_id, secret, { insecure, timeoutSeconds: PROVIDER_TIMEOUT_SECONDS, clockSkewSeconds: skew });
      made = { kind: 'github', config, github: endpoints };
    } else {
      const config = await client.discovery(url, provider.client_id, { [client.clockSkew]: skew }, client.ClientSecretBasic(secret), {
        timeout: PROVIDER_TIMEOUT_SECONDS,
        ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
      });
      made = { kind: 'oidc', config, github: null };
    }
    this.discovered.set(provider.id, { key, at: now, client: made });
    return made;
  }

  /** Drops the provider's cached discovery (its answer did not validate: the keys may have rotated). */
  forget(providerId: string): void {
    this.discovered.delete(providerId);
  }

  async find(id: string): Promise<repo.ProviderRow | undefined> {
    return /^[0-9a-f-]{36}$/i.test(id) ? repo.findProvider(this.deps.db, id) : undefined;
  }

  /** The sign-in page's buttons. */
  async enabled(): Promise<UpstreamProviderSummary[]> {
    return (await repo.listProviders(this.deps.db, true)).map((p) => ({ id: p.id, name: p.name, logo: p.logo }));
  }

  async list(): Promise<AdminUpstreamProvider[]> {
    return (await repo.listProviders(this.deps.db)).map(present);
  }

  /** Adds a provider after its discovery answers: an unreachable or invalid issuer saves nothing. */
  async add(input: NewProvider, actor: Actor, address: string | null): Promise<AdminUpstreamProvider> {
    const { db, clock, secretBox } = this.deps;
    const id = randomUUID();
    const { kind, issuer } = presetIssuer(input);
    issuerUrl(issuer);
    if (input.clientId === '' || input.clientId.length > 255 || CONTROL.test(input.clientId))
      throw new AppError('invalid_request', 'The client id is 1 to 255 characters, without control characters.');
    if (input.clientSecret === '') throw new AppError('invalid_request', 'The client secret is empty.');
    const row: repo.ProviderRow = {
      id,
      kind,
      name: checkName(input.name),
      issuer,
      client_id: input.clientId,
      client_secret: encryptSecret(secretBox, input.clientSecret, secretAad(id)),
      trusted_mfa: input.trustedMfa ? 1 : 0,
      enabled: 1,
      logo: checkLogo(input.logo ?? null),
      groups_claim: checkClaim(input.groupsClaim ?? null),
      group_map: JSON.stringify(await this.checkGroupMap(input.groupMap ?? {})),
      created_at: clock(),
    };
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
      details: { providerId: id, name: row.name, issuer: row.issuer, kind, trustedMfa: input.trustedMfa ?? false },
    });
    return present(row);
  }

  /** A mapping's values must be local groups (a directory group's members follow the directory). */
  private async checkGroupMap(map: Record<string, string>): Promise<Record<string, string>> {
    const entries = Object.entries(map);
    if (entries.length > 100) throw new AppError('invalid_request', 'A group mapping has at most 100 entries.');
    for (const [value, group] of entries) {
      if (value === '' || value.length > 256) throw new AppError('invalid_request', 'An upstream group value is 1 to 256 characters.');
      const found = typeof group === 'string' ? await this.deps.groups.findByName(group) : undefined;
      if (!found) throw new AppError('invalid_request', `No local group is named "${String(group).slice(0, 64)}".`);
      if (found.source !== 'local') throw new AppError('directory_group');
    }
    return Object.fromEntries(entries);
  }

  async change(id: string, change: ProviderChange, actor: Actor, address: string | null): Promise<AdminUpstreamProvider> {
    const provider = await this.find(id);
    if (!provider) throw new AppError('not_found', 'No such provider.');
    const set = {
      ...(change.name === undefined ? {} : { name: checkName(change.name) }),
      ...(change.enabled === undefined ? {} : { enabled: change.enabled ? 1 : 0 }),
      ...(change.trustedMfa === undefined ? {} : { trusted_mfa: change.trustedMfa ? 1 : 0 }),
      ...(change.logo === undefined ? {} : { logo: checkLogo(change.logo) }),
      ...(change.groupsClaim === undefined ? {} : { groups_claim: checkClaim(change.groupsClaim) }),
      ...(change.groupMap === undefined ? {} : { group_map: JSON.stringify(await this.checkGroupMap(change.groupMap)) }),
    };
    await repo.updateProvider(this.deps.db, id, set);
    // The audit keeps what changed, not the logo's bytes.
    const { logo, ...rest } = change;
    await this.deps.audit({
      kind: 'upstream.provider_changed',
      actor,
      address,
      details: { providerId: id, ...rest, ...(logo === undefined ? {} : { logo: logo === null ? 'removed' : 'set' }) },
    });
    return present({ ...provider, ...set });
  }

  /** Removes the provider with every link to it: its accounts stay, and sign in otherwise. */
  async remove(id: string, actor: Actor, address: string | null): Promise<void> {
    const provider = await this.find(id);
    if (!provider || !(await repo.deleteProvider(this.deps.db, id))) throw new AppError('not_found', 'No such provider.');
    this.forget(id);
    await this.deps.audit({ kind: 'upstream.provider_removed', actor, address, details: { providerId: id, name: provider.name } });
  }

  /**
   * An administrator links an account to a provider's subject by hand (someone whose provider gives
   * no verified email, or an account that cannot prove itself with a password). The owner is
   * mailed, as for every link; a subject already linked to another account is refused.
   */
  async linkByAdmin(
    input: { userId: string; providerId: string; subject: string },
    actor: Actor,
    address: string | null,
    notify: (trx: Kysely<DB>, userId: string, providerName: string) => Promise<void>,
  ): Promise<UpstreamLink> {
    const { db, clock } = this.deps;
    const provider = await this.find(input.providerId);
    if (!provider) throw new AppError('not_found', 'No such provider.');
    const user = await findUserById(db, input.userId);
    if (!user) throw new AppError('not_found', 'No such user.');
    const subject = input.subject.trim();
    if (subject === '' || subject.length > 255 || CONTROL.test(subject))
      throw new AppError('invalid_request', 'The subject is the provider’s identifier of the person (its sub), 1 to 255 characters.');
    // GitHub's subject is the numeric user id, never the login (a login can be all digits, and belong to someone else).
    if (provider.kind === 'github' && !/^[1-9]\d{0,15}$/.test(subject))
      throw new AppError('invalid_request', 'A GitHub subject is the numeric user id (api.github.com/users/LOGIN shows it), not the login.');
    const now = clock();
    await db.transaction().execute(async (trx) => {
      const existing = await repo.findLink(trx, provider.id, subject);
      if (existing) throw new AppError('upstream_subject_linked');
      await repo.insertLink(trx, { provider_id: provider.id, subject, user_id: user.id, email: null, created_at: now });
      await notify(trx, user.id, provider.name);
    });
    const ref = { id: user.id, email: user.email };
    await this.deps.audit({ kind: 'upstream.linked', actor, subject: ref, address, details: { providerId: provider.id, created: false, by: 'admin' } });
    return { providerId: provider.id, providerName: provider.name, email: null, createdAt: new Date(now).toISOString() };
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

/**
 * Ends the account's provider links and waiting link tickets, inside the caller's transaction: part
 * of ending an account's access (a password reset or change, a block, "sign out everywhere", 2FA
 * turned off), so a link a thief made with a stolen password and code does not outlive the owner's
 * recovery. An account a provider created (no password here) keeps its links: they are its only
 * way in, and its recovery is at the provider.
 */
export function endUpstreamAccess(trx: Kysely<DB>, userId: string): Promise<void> {
  return repo.deleteLinksAndTicketsOf(trx, userId, UPSTREAM_PASSWORD_MARK);
}
