import type { TFunction } from 'i18next';
import { ApiError } from './api';

export function formatDuration(t: TFunction, seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  return s >= 60 ? t('time.minutes', { m: Math.floor(s / 60), s: s % 60 }) : t('time.seconds', { s });
}

/** A message for people, in the current language, for any error the API answers. */
export function errorMessage(t: TFunction, error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'locked') return t('errors.locked', { time: formatDuration(t, Number(error.body.retryAfterSeconds ?? 0)) });
    // The second step may say how many tries remain before a lock ("2 attempts left").
    const left = (error.body as { attemptsLeft?: unknown }).attemptsLeft;
    const offset = error.body.clockOffsetSeconds;
    // Right, but already used (a replay, or the code that just confirmed something else): wait for the next.
    if (error.code === 'invalid_code' && error.body.reason === 'code_reused') return t('errors.code_reused');
    if (error.code === 'invalid_code' && typeof offset === 'number' && offset !== 0) {
      return t(offset > 0 ? 'errors.clock_ahead' : 'errors.clock_behind', { seconds: Math.abs(offset) });
    }
    if (error.code === 'invalid_code' && typeof left === 'number') return t('errors.invalid_code_left', { count: left });
    if (error.code === 'weak_password' && typeof error.body.reason === 'string') return t(`errors.${error.body.reason}`);
    // Registration names the domains it is open to (no secret: the page says it before too).
    const domains = (error.body as { domains?: unknown }).domains;
    if (error.code === 'registration_domain' && Array.isArray(domains)) return t('errors.registration_domain_list', { domains: domains.join(', ') });
    const key = `errors.${error.code}`;
    const text = t(key);
    return text === key ? t('errors.generic') : text;
  }
  return t('errors.generic');
}
