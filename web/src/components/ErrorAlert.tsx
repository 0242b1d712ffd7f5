// An API error as a message for people, announced to screen readers; nothing when there is none.
import { useTranslation } from 'react-i18next';
import { errorMessage } from '../errors';

export function ErrorAlert({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (error === null || error === undefined) return null;
  return (
    <p role="alert" className="error">
      {errorMessage(t, error)}
    </p>
  );
}
