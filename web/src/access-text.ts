// Who may go where, in words: a rule's "who" list, its factors, a check's reason (issue 27).
// The API speaks in tokens (`anyone`, `group:NAME`, `user:EMAIL`; `two_factors`); people read these.
import type { TFunction } from 'i18next';
import type { AccessCheck, AccessFactors, AccessRule } from '../../src/shared/api-types';

export const FACTORS: readonly AccessFactors[] = ['password', 'two_factors', 'security_key'];

export function factorText(t: TFunction, factors: AccessFactors): string {
  return t(`access.factor.${factors}`);
}

function whoText(t: TFunction, who: string): string {
  if (who === 'anyone') return t('access.anyone');
  if (who.startsWith('group:')) return t('access.group', { name: who.slice('group:'.length) });
  return who.startsWith('user:') ? who.slice('user:'.length) : who;
}

/** Who a rule lets in ("group family, ana@example.com"), or that it refuses everyone. */
export function ruleWho(t: TFunction, rule: AccessRule): string {
  return rule.effect === 'deny' ? t('access.denyAll') : rule.who.map((w) => whoText(t, w)).join(', ');
}

/** Why a check answered as it did. A blocked account is refused whatever the rules say (the server says so in `explanation`). */
export function checkReason(t: TFunction, check: AccessCheck): string {
  if (check.outcome === 'deny' && (check.reason === 'allowed' || check.reason === 'default_allow')) return t('accessCheck.reason.blocked');
  return t(`accessCheck.reason.${check.reason}`, {
    needs: check.needs ? factorText(t, check.needs) : '',
    factors: factorText(t, check.factors),
  });
}
