// Applications (OpenID Connect clients): created by administrators (API, UI or CLI), each with an
// id and, unless public, a secret shown once and kept encrypted. oidc-provider reads them through
// the adapter as client metadata built here.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { decryptSecret, encryptSecret } from '../../crypto/secret-box.js';
import { AppError } from '../../http/errors.js';
import type { Application, CreatedApplication } from '../../shared/api-types.js';
import type { AccountRef, RecordAudit } from '../audit/index.js';
import type { GroupsService } from '../access/index.js';
import * as repo from './oidc.repository.js';

export interface NewApplication {
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  public?: boolean;
  require2fa?: boolean;
  trusted?: boolean;
  /** A confidential application that cannot send PKCE (refused for a public one: it has nothing else). */
  legacyNoPkce?: boolean;
  /** Only members of these groups may use it (none: everyone who can sign in). */
  allowedGroups?: string[];
  /** OIDC Back-Channel Logout 1.0: where logout tokens go. */
  backchannelLogoutUri?: string;
  backchannelLogoutSessionRequired?: boolean;
}

/** What an administrator may change on an existing application (what is left out stays). */
export interface ApplicationChange {
  allowedGroups?: string[];
  /** null: no more back-channel logouts. */
  backchannelLogoutUri?: string | null;
  backchannelLogoutSessionRequired?: boolean;
}

/** The associated data that binds a sealed secret to its client: a ciphertext moved to another row fails. */
export const secretAad = (clientId: string) => `oidc-client ${clientId}`;

/** Exact addresses only (OAuth 2.0 Security BCP §4.1): absolute http(s), no fragment, no wildcard. */
export function checkRedirectUri(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('invalid_request', `"${raw}" is not an absolute address.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AppError('invalid_request', `"${raw}" must be an http or https address.`);
  if (url.hash || raw.includes('#')) throw new AppError('invalid_request', `"${raw}" must not have a fragment.`);
  if (raw.includes('*')) throw new AppError('invalid_request', `"${raw}" must be exact (no wildcards).`);
  return raw;
}

export function presentApplication(row: repo.ClientRow, allowedGroups: string[] = []): Application {
  return {
    id: row.id,
    name: row.name,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    postLogoutRedirectUris: JSON.parse(row.post_logout_redirect_uris) as string[],
    public: row.secret_ciphertext === null,
    require2fa: row.require_2fa === 1,
    trusted: row.trusted === 1,
    legacyNoPkce: row.pkce_optional === 1,
    allowedGroups,
    backchannelLogoutUri: row.backchannel_logout_uri,
    backchannelLogoutSessionRequired: row.backchannel_logout_session_required === 1,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** What oidc-provider is told about an application (its client metadata). */
export function clientMetadata(row: repo.ClientRow, openSecret: (clientId: string, sealed: string) => string): Record<string, unknown> {
  const app = presentApplication(row);
  return {
    client_id: row.id,
    client_name: row.name,
    ...(row.secret_ciphertext === null
      ? { token_endpoint_auth_method: 'none' }
      : { client_secret: openSecret(row.id, row.secret_ciphertext), token_endpoint_auth_method: 'client_secret_basic' }),
    redirect_uris: app.redirectUris,
    post_logout_redirect_uris: app.postLogoutRedirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    gatehouse_require_2fa: app.require2fa,
    gatehouse_trusted: app.trusted,
    gatehouse_pkce_optional: app.legacyNoPkce,
    ...(app.backchannelLogoutUri === null
      ? {}
      : { backchannel_logout_uri: app.backchannelLogoutUri, backchannel_logout_session_required: app.backchannelLogoutSessionRequired }),
  };
}

export class ClientsService {
  private readonly db: Kysely<DB>;
  private readonly secretBox: Buffer;
  private readonly audit: RecordAudit;
  private readonly clock: () => number;
  private readonly groups: Pick<GroupsService, 'restrictClient' | 'clientGroups'>;

  constructor(deps: {
    db: Kysely<DB>;
    secretBox: Buffer;
    audit: RecordAudit;
    clock: () => number;
    groups: Pick<GroupsService, 'restrictClient' | 'clientGroups'>;
  }) {
    this.db = deps.db;
    this.groups = deps.groups;
    this.secretBox = deps.secretBox;
    this.audit = deps.audit;
    this.clock = deps.clock;
  }

  openSecret = (clientId: string, sealed: string): string => decryptSecret(this.secretBox, sealed, secretAad(clientId));

  async create(input: NewApplication, actor: AccountRef | null, address: string | null): Promise<CreatedApplication> {
    const name = input.name.trim();
    if (name === '' || name.length > 100) throw new AppError('invalid_request', 'The name must have 1 to 100 characters.');
    if (input.redirectUris.length === 0) throw new AppError('invalid_request', 'At least one redirect address is required.');
    const redirectUris = input.redirectUris.map(checkRedirectUri);
    const postLogout = (input.postLogoutRedirectUris ?? []).map(checkRedirectUri);
    // Hex: a client id must survive being typed or pasted anywhere, e.g. after `--id` on the command
    // line (a base64url id may start with '-', which reads as an option).
    if (input.legacyNoPkce && input.public) throw new AppError('invalid_request', 'A public application has no secret: it must use PKCE.');
    const id = randomBytes(16).toString('hex');
    const secret = input.public ? undefined : randomBytes(32).toString('base64url');
    const row: repo.ClientRow = {
      id,
      name,
      secret_ciphertext: secret === undefined ? null : encryptSecret(this.secretBox, secret, secretAad(id)),
      redirect_uris: JSON.stringify(redirectUris),
      post_logout_redirect_uris: JSON.stringify(postLogout),
      require_2fa: input.require2fa ? 1 : 0,
      trusted: input.trusted ? 1 : 0,
      pkce_optional: input.legacyNoPkce ? 1 : 0,
      backchannel_logout_uri: input.backchannelLogoutUri === undefined ? null : checkRedirectUri(input.backchannelLogoutUri),
      backchannel_logout_session_required: input.backchannelLogoutSessionRequired ? 1 : 0,
      created_at: this.clock(),
    };
    const allowedGroups = [...new Set(input.allowedGroups ?? [])].sort();
    // One transaction: an unknown group refuses the whole application, nothing is half-saved.
    await this.db.transaction().execute(async (trx) => {
      await repo.insertClient(trx, row);
      if (allowedGroups.length > 0) await this.groups.restrictClient(trx, id, allowedGroups);
    });
    await this.audit({
      kind: 'oidc.client_created',
      actor,
      address,
      details: { clientId: id, name, public: Boolean(input.public), ...(allowedGroups.length > 0 ? { allowedGroups } : {}) },
    });
    const application = presentApplication(row, (await this.groups.clientGroups([id])).get(id) ?? []);
    return { client_id: id, ...(secret === undefined ? {} : { client_secret: secret }), application };
  }

  async list(): Promise<Application[]> {
    const rows = await repo.listClients(this.db);
    const groups = await this.groups.clientGroups(rows.map((r) => r.id));
    return rows.map((row) => presentApplication(row, groups.get(row.id) ?? []));
  }

  /**
   * Restricts an application to groups, or opens it to everyone (none). Takes effect at once: a
   * person outside the groups gets no new code, refresh or userinfo (client-access.ts).
   */
  async update(id: string, change: ApplicationChange, actor: AccountRef | null, address: string | null): Promise<Application> {
    const allowedGroups = change.allowedGroups === undefined ? undefined : [...new Set(change.allowedGroups)].sort();
    const logout: { backchannel_logout_uri?: string | null; backchannel_logout_session_required?: number } = {};
    if (change.backchannelLogoutUri !== undefined)
      logout.backchannel_logout_uri = change.backchannelLogoutUri === null ? null : checkRedirectUri(change.backchannelLogoutUri);
    if (change.backchannelLogoutSessionRequired !== undefined) logout.backchannel_logout_session_required = change.backchannelLogoutSessionRequired ? 1 : 0;
    if (allowedGroups === undefined && Object.keys(logout).length === 0) throw new AppError('invalid_request', 'Nothing to change.');
    const row = await this.db.transaction().execute(async (trx) => {
      const found = await repo.findClient(trx, id);
      if (!found) throw new AppError('not_found', 'There is no application with this id.');
      if (allowedGroups !== undefined) await this.groups.restrictClient(trx, id, allowedGroups);
      if (Object.keys(logout).length > 0) await repo.updateClientLogout(trx, id, logout);
      return { ...found, ...logout };
    });
    await this.audit({
      kind: 'oidc.client_updated',
      actor,
      address,
      details: {
        clientId: id,
        ...(allowedGroups === undefined ? {} : { allowedGroups }),
        ...(logout.backchannel_logout_uri === undefined ? {} : { backchannelLogoutUri: logout.backchannel_logout_uri }),
      },
    });
    return presentApplication(row, (await this.groups.clientGroups([id])).get(id) ?? []);
  }

  async delete(id: string, actor: AccountRef | null, address: string | null): Promise<void> {
    if (!(await repo.deleteClient(this.db, id))) throw new AppError('not_found', 'There is no application with this id.');
    await this.audit({ kind: 'oidc.client_deleted', actor, address, details: { clientId: id } });
  }
}
