// The access decision with the rules as they are now, on every instance. Each instance keeps the
// rules in memory (an AccessSnapshot, indexed by host) and, on every check, reads the access
// version together with the person's groups in one indexed query: when the version has moved (a
// change on any instance bumps it in the change's own transaction), the rules are loaded again
// before deciding. So a rule change or a removal from a group counts from the next request, and a
// check costs the same with 1,000 rules as with none but for the matching itself.
import { AppError } from '../../http/errors.js';
import { AuditThrottle, type RecordAudit } from '../audit/index.js';
import { findUserByEmail, normalizeEmail } from '../users/index.js';
import type { Strength } from '../../core/session-strength.js';
import type { AccessCheck, AccessReason } from '../../shared/api-types.js';
import type { DialectName, RowReader } from '../../db/database.js';
import * as repo from './access.repository.js';
import { AccessSnapshot, type Decision, orderRules, type ApplicationSnapshot, type RuleSnapshot } from './policy.js';
import { presentRule } from './rule.presenter.js';

export interface AccessPolicyDeps {
  db: repo.Db;
  clock: () => number;
  /** GATEHOUSE_ACCESS_DEFAULT; null: what the install chose (migration 0018). */
  configuredDefault: 'allow' | 'deny' | null;
  audit: RecordAudit;
  /** Whether the account has a second factor it can step up with (the two-factor module knows). */
  hasSecondFactor: (userId: string) => Promise<boolean>;
  /**
   * The database's hot-path reader (a prepared statement on SQLite's read-only connection) and its
   * dialect: every forward-auth check reads the version and the account's groups through it.
   * Without it (tools, some tests) the read goes through Kysely.
   */
  hotPath?: { readRow: RowReader; dialect: DialectName };
}

/** Who is asking, from their session. */
export interface Asker {
  userId: string;
  email: string;
  strength: Strength;
  hasSecondFactor: boolean;
}

export interface Answer {
  decision: Decision;
  /** The asker's group names now (for the identity headers). */
  groups: string[];
}

interface Loaded {
  version: number;
  snapshot: AccessSnapshot;
  groupNames: Map<string, string>;
  userEmails: Map<string, string>;
  defaultFrom: 'environment' | 'install';
}

export class AccessPolicy {
  private loaded: Loaded | null = null;
  private loading: Promise<Loaded> | null = null;
  /** A refusal is audited at most once a minute per account and application, with a count, like `redirect.refused`. */
  private readonly refusals: AuditThrottle;

  constructor(private readonly deps: AccessPolicyDeps) {
    this.refusals = new AuditThrottle(deps.clock);
  }

  /** The decision for this person going to `address` (null: the proxy did not say where). */
  async decide(address: URL | null, asker: Asker): Promise<Answer> {
    const { hotPath } = this.deps;
    const { version, groupIds } = hotPath
      ? await repo.readVersionAndGroupsRow(hotPath.readRow, hotPath.dialect, asker.userId)
      : await repo.readVersionAndGroups(this.deps.db, asker.userId);
    const loaded = await this.at(version);
    const decision = loaded.snapshot.decide(address, {
      userId: asker.userId,
      groupIds: new Set(groupIds),
      strength: asker.strength,
      hasSecondFactor: asker.hasSecondFactor,
    });
    const groups = groupIds.flatMap((id) => loaded.groupNames.get(id) ?? []).sort();
    return { decision, groups };
  }

  /** The default for hosts no application names, and where it comes from. */
  async defaults(): Promise<{ default: 'allow' | 'deny'; defaultFrom: 'environment' | 'install' }> {
    const { version } = await repo.readState(this.deps.db);
    const loaded = await this.at(version);
    return { default: loaded.snapshot.defaultEffect, defaultFrom: loaded.defaultFrom };
  }

  /**
   * "Can this person reach this address?" for the admin area and `gatehouse access check`: the same
   * decision as /api/verify, for a session of the given strength.
   */
  async check(input: { email: string; url: string; factors: Strength }): Promise<AccessCheck> {
    let address: URL;
    try {
      address = new URL(input.url);
    } catch {
      throw new AppError('invalid_request', `"${input.url.slice(0, 200)}" is not an absolute address (like https://app.example.com/path).`);
    }
    if (address.protocol !== 'http:' && address.protocol !== 'https:') throw new AppError('invalid_request', 'The address must be http or https.');
    const user = await findUserByEmail(this.deps.db, input.email);
    if (!user) throw new AppError('invalid_request', `There is no user with the email ${normalizeEmail(input.email)}.`);
    const hasSecondFactor = await this.deps.hasSecondFactor(user.id);
    const { decision, groups } = await this.decide(address, { userId: user.id, email: user.email, strength: input.factors, hasSecondFactor });
    return this.present(decision, groups, input.factors, user.blocked === 1);
  }

  /** Records a refusal by policy, throttled. */
  async recordRefusal(asker: Asker, address: URL | null, decision: Decision, ip: string | null): Promise<void> {
    const key = `${asker.userId} ${decision.application?.id ?? address?.host ?? ''}`;
    const count = this.refusals.take(key);
    if (count === null) return;
    await this.deps.audit({
      kind: 'access.refused',
      actor: { id: asker.userId, email: asker.email },
      subject: { id: asker.userId, email: asker.email },
      address: ip,
      details: {
        host: address?.host ?? null,
        path: address?.pathname.slice(0, 512) ?? null,
        application: decision.application?.name ?? null,
        rule: decision.rule?.id ?? null,
        reason: decision.reason,
        count,
      },
    });
  }

  present(decision: Decision, groups: string[], factors: Strength, blocked = false): AccessCheck {
    const application = decision.application;
    const loaded = this.loaded!;
    return {
      outcome: blocked ? 'deny' : decision.outcome,
      reason: decision.reason,
      explanation: (blocked ? 'The account is blocked: it cannot sign in at all. Otherwise: ' : '') + explain(decision, factors),
      application: application ? { id: application.id, name: application.name, host: application.host } : null,
      rule: decision.rule && application ? presentRule(decision.rule, application, loaded) : null,
      ...(decision.needs ? { needs: decision.needs } : {}),
      groups,
      factors,
    };
  }

  /** The rules at `version` (or later): loaded once per version, concurrent checks sharing one load. */
  private async at(version: number): Promise<Loaded> {
    if (this.loaded !== null && this.loaded.version >= version) return this.loaded;
    if (this.loading === null) {
      this.loading = this.load().finally(() => {
        this.loading = null;
      });
    }
    const loaded = await this.loading;
    // A load that began before this version was written may miss it: load once more.
    return loaded.version >= version ? loaded : this.load();
  }

  private async load(): Promise<Loaded> {
    const rows = await repo.loadPolicy(this.deps.db);
    const groupNames = new Map(rows.groups.map((g) => [g.id, g.name]));
    const applications: ApplicationSnapshot[] = rows.applications.map((a) => ({
      id: a.id,
      name: a.name,
      host: a.host,
      rules: orderRules(rows.rules.filter((r) => r.application_id === a.id)).map((r): RuleSnapshot => {
        const subjects = rows.subjects.filter((s) => s.rule_id === r.id);
        return {
          id: r.id,
          path: r.path,
          effect: r.effect,
          anyone: r.anyone === 1,
          groupIds: new Set(subjects.flatMap((s) => (s.group_id === null ? [] : [s.group_id]))),
          userIds: new Set(subjects.flatMap((s) => (s.user_id === null ? [] : [s.user_id]))),
          factors: r.factors,
        };
      }),
    }));
    const effect = this.deps.configuredDefault ?? rows.installDefault;
    const loaded: Loaded = {
      version: rows.version,
      snapshot: new AccessSnapshot(applications, effect),
      groupNames,
      userEmails: new Map(rows.subjects.flatMap((s) => (s.user_id !== null && s.email !== null ? [[s.user_id, s.email] as const] : []))),
      defaultFrom: this.deps.configuredDefault === null ? 'install' : 'environment',
    };
    if (this.loaded === null || loaded.version >= this.loaded.version) this.loaded = loaded;
    return loaded;
  }
}

const FACTOR_WORDS: Record<Strength, string> = {
  password: 'a password',
  two_factors: 'a password and a second factor',
  security_key: 'a security key or passkey',
};

const REASONS: Record<AccessReason, (d: Decision, factors: Strength) => string> = {
  allowed: (d, f) => `Allowed by the rule for ${d.rule!.path} of ${d.application!.name}, with a session signed in with ${FACTOR_WORDS[f]}.`,
  default_allow: () => 'Allowed: no application names this host, and the default (GATEHOUSE_ACCESS_DEFAULT) is allow.',
  default_deny: () => 'Refused: no application names this host, and the default (GATEHOUSE_ACCESS_DEFAULT) is deny.',
  no_address: () =>
    'Refused: the proxy did not say where the browser was going (X-Original-URL from a GATEHOUSE_TRUST_PROXY address), and the default is deny.',
  no_rule: (d) => `Refused: ${d.application!.name} has no rule for this path.`,
  rule_denies: (d) => `Refused by the rule for ${d.rule!.path} of ${d.application!.name}, which refuses everyone.`,
  not_listed: (d) => `Refused: the rule for ${d.rule!.path} of ${d.application!.name} names groups or people, and this person is not among them.`,
  factors_too_weak: (d, f) =>
    `The rule for ${d.rule!.path} of ${d.application!.name} lets this person in, but asks for ${FACTOR_WORDS[d.needs!]}; the session signed in with ${FACTOR_WORDS[f]}: ${
      d.outcome === 'step_up' ? 'they are sent to confirm it is them with their code, then back' : 'refused'
    }.`,
};

function explain(decision: Decision, factors: Strength): string {
  return REASONS[decision.reason](decision, factors);
}
