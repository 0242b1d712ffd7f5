// How a rule reads in answers (admin API, the CLI, the access check): one presenter for rules as
// stored (access-rules.service.ts) and as the policy snapshot holds them (access-policy.service.ts),
// so `who` is written the same way everywhere: `anyone`, or the groups then the people, each sorted.
import type { AccessRule } from '../../shared/api-types.js';
import type { Effect } from './policy.js';
import type { Strength } from '../../core/session-strength.js';

export interface PresentableRule {
  id: string;
  path: string;
  effect: Effect;
  anyone: boolean;
  groupIds: Iterable<string>;
  userIds: Iterable<string>;
  factors: Strength;
}

/** Names for the ids a rule holds; an id with no name (deleted meanwhile) is shown as the id. */
export interface RuleNames {
  groupNames: ReadonlyMap<string, string>;
  userEmails: ReadonlyMap<string, string>;
}

export function presentRule(rule: PresentableRule, application: { id: string; host: string }, names: RuleNames): AccessRule {
  const who =
    rule.effect === 'deny'
      ? []
      : rule.anyone
        ? ['anyone']
        : [
            ...[...rule.groupIds].map((id) => `group:${names.groupNames.get(id) ?? id}`).sort(),
            ...[...rule.userIds].map((id) => `user:${names.userEmails.get(id) ?? id}`).sort(),
          ];
  return { id: rule.id, applicationId: application.id, host: application.host, path: rule.path, effect: rule.effect, who, factors: rule.factors };
}
