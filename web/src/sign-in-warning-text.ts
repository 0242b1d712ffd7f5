// The "since your last sign-in" sentence: only what happened (wrong codes, locks, or both), each
// count with its language's plural (i18next _one / _other), never "locked 0 time(s)".
import type { TFunction } from 'i18next';
import type { SignInWarning } from '../../src/shared/api-types';

export function signInWarningText(t: TFunction, warning: SignInWarning, when: { date: string; address: string }): string {
  const parts = [
    warning.failedCodeAttempts > 0 ? t('warning.codes', { count: warning.failedCodeAttempts }) : null,
    warning.locks > 0 ? t('warning.locks', { count: warning.locks }) : null,
  ].filter((part): part is string => part !== null);
  const what = parts.length === 2 ? t('warning.both', { first: parts[0], second: parts[1] }) : (parts[0] ?? t('warning.codes', { count: 0 }));
  return t('warning.text', { what, ...when });
}
