// An API error as a message for people, announced to screen readers; nothing when there is none.
// `lockedUntil`: the end of the lock this error reports, to count it down (the caller re-renders
// each second) rather than repeat the time the server gave when it answered. `whenLocked`: what
// follows a lock's message, the way onward (the sign-in page's "Forgot password?"). `detail`: the
// server's own sentence for a refused input (it names the bad host, the unknown group), which
// says more than the code's translation; it is in English, so a Spanish page gives both.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api';
import { errorMessage, formatDuration } from '../errors';

export function ErrorAlert({
  error,
  lockedUntil = null,
  whenLocked,
  detail = false,
}: {
  error: unknown;
  lockedUntil?: number | null;
  whenLocked?: ReactNode;
  detail?: boolean;
}) {
  const { t, i18n } = useTranslation();
  if (error === null || error === undefined) return null;
  const locked = error instanceof ApiError && error.code === 'locked';
  const said = detail && error instanceof ApiError && error.status >= 400 && error.status < 500 && error.message ? error.message : null;
  if (said && !i18n.resolvedLanguage?.startsWith('es'))
    return (
      <p role="alert" className="error">
        {said}
      </p>
    );
  return (
    <p role="alert" className="error">
      {lockedUntil === null ? errorMessage(t, error) : t('errors.locked', { time: formatDuration(t, (lockedUntil - Date.now()) / 1000) })}
      {locked && whenLocked && <> {whenLocked}</>}
      {said && (
        <>
          {' '}
          {t('errors.serverSays')} <span lang="en">{said}</span>
        </>
      )}
    </p>
  );
}
