// An API error as a message for people, announced to screen readers; nothing when there is none.
// `lockedUntil`: the end of the lock this error reports, to count it down (the caller re-renders
// each second) rather than repeat the time the server gave when it answered.
import { useTranslation } from 'react-i18next';
import { errorMessage, formatDuration } from '../errors';

export function ErrorAlert({ error, lockedUntil = null }: { error: unknown; lockedUntil?: number | null }) {
  const { t } = useTranslation();
  if (error === null || error === undefined) return null;
  return (
    <p role="alert" className="error">
      {lockedUntil === null ? errorMessage(t, error) : t('errors.locked', { time: formatDuration(t, (lockedUntil - Date.now()) / 1000) })}
    </p>
  );
}
