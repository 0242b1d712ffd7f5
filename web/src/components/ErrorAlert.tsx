// An API error as a message for people, announced to screen readers; nothing when there is none.
// `lockedUntil`: the end of the lock this error reports, to count it down (the caller re-renders
// each second) rather than repeat the time the server gave when it answered. `whenLocked`: what
// follows a lock's message, the way onward (the sign-in page's "Forgot password?").
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api';
import { errorMessage, formatDuration } from '../errors';

export function ErrorAlert({ error, lockedUntil = null, whenLocked }: { error: unknown; lockedUntil?: number | null; whenLocked?: ReactNode }) {
  const { t } = useTranslation();
  if (error === null || error === undefined) return null;
  const locked = error instanceof ApiError && error.code === 'locked';
  return (
    <p role="alert" className="error">
      {lockedUntil === null ? errorMessage(t, error) : t('errors.locked', { time: formatDuration(t, (lockedUntil - Date.now()) / 1000) })}
      {locked && whenLocked && <> {whenLocked}</>}
    </p>
  );
}
