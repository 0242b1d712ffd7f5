// The applications a person allowed (their grants), listed on the security page and revocable:
// revoking deletes the grants and every code and token issued under them, so the application's
// refresh tokens stop working at once.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../http/errors.js';
import type { GrantedApplication } from '../../shared/api-types.js';
import type { AccountRef, RecordAudit } from '../audit/index.js';
import { clientNames, deleteGrantsOf, listGrantsOf } from './oidc.repository.js';

export class GrantsService {
  constructor(private readonly deps: { db: Kysely<DB>; audit: RecordAudit; clock: () => number }) {}

  async list(userId: string): Promise<GrantedApplication[]> {
    const rows = await listGrantsOf(this.deps.db, userId, this.deps.clock());
    const scopes = new Map<string, Set<string>>();
    for (const row of rows) {
      if (!row.client_id) continue;
      const payload = JSON.parse(row.payload) as { openid?: { scope?: string } };
      const set = scopes.get(row.client_id) ?? new Set<string>();
      for (const scope of (payload.openid?.scope ?? '').split(' ').filter(Boolean)) set.add(scope);
      scopes.set(row.client_id, set);
    }
    const names = await clientNames(this.deps.db, [...scopes.keys()]);
    return [...scopes.entries()]
      .filter(([clientId]) => names.has(clientId))
      .map(([clientId, set]) => ({ clientId, name: names.get(clientId)!, scopes: [...set] }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async revoke(user: AccountRef, clientId: string, address: string | null): Promise<void> {
    if ((await deleteGrantsOf(this.deps.db, user.id, clientId)) === 0) throw new AppError('not_found', 'This application has no access to your account.');
    await this.deps.audit({ kind: 'oidc.grant_revoked', actor: user, subject: user, address, details: { clientId } });
  }
}
