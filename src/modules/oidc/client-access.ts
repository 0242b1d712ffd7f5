// Who may use an OpenID Connect application restricted to groups, asked wherever the provider
// hands something out: at authorization (the interaction's login result, and an existing provider
// session that would skip the interaction), at the token endpoint (code and refresh token) and at
// userinfo. The groups are the account's as they are at that moment (the access module answers), so
// removing someone from the groups stops their next refresh, not only their next sign-in.
//
// A refusal is audited as `access.refused` at most once a minute per account and application, with
// a count (like forward auth's refusals): a person holding a refused session could otherwise fill
// the log by reloading (AuditThrottle).
import { type AccountRef, AuditThrottle, type RecordAudit } from '../audit/index.js';
import type { GroupsService } from '../access/index.js';

/** What the application hears with access_denied (error_description). */
export const NOT_IN_GROUP = 'You are not in a group this application is open to. Ask an administrator for access.';

export type RefusedAt = 'authorization' | 'token' | 'userinfo';

export class ClientAccess {
  private readonly refusals: AuditThrottle;

  constructor(private readonly deps: { groups: Pick<GroupsService, 'mayUseClient' | 'namesOf'>; audit: RecordAudit; clock: () => number }) {
    this.refusals = new AuditThrottle(deps.clock);
  }

  /** The account's group names now (the `groups` claim). */
  groupsOf(userId: string): Promise<string[]> {
    return this.deps.groups.namesOf(userId);
  }

  /** Whether the account may use the application now; a refusal is audited (throttled). */
  async allows(clientId: string, user: AccountRef, address: string | null, at: RefusedAt): Promise<boolean> {
    if (await this.deps.groups.mayUseClient(clientId, user.id)) return true;
    await this.recordRefusal(clientId, user, address, at);
    return false;
  }

  private async recordRefusal(clientId: string, user: AccountRef, address: string | null, at: RefusedAt): Promise<void> {
    const count = this.refusals.take(`${user.id} ${clientId}`);
    if (count === null) return;
    await this.deps.audit({
      kind: 'access.refused',
      actor: user,
      subject: user,
      address,
      details: { client: clientId, reason: 'not_in_group', at, count },
    });
  }
}
