// Shown after a full sign-in when someone failed the second step or locked the account since the
// owner's last sign-in: that someone knows the password, so the way out is to change it.
import { useTranslation } from 'react-i18next';
import type { SignInWarning as Warning } from '../../../src/shared/api-types';
import { api } from '../api';
import { navigate } from '../navigation';
import { formatDateTime } from '../format';
import { signInWarningText } from '../sign-in-warning-text';

export function SignInWarning({ warning, onDone }: { warning: Warning; onDone: () => void }) {
  const { t } = useTranslation();
  const acknowledge = async () => {
    await api('DELETE', '/api/session/warning').catch(() => {});
    onDone();
  };
  return (
    <div className="banner danger" role="alert">
      <p>{signInWarningText(t, warning, { date: formatDateTime(warning.lastAt), address: warning.lastAddress ?? t('warning.unknownAddress') })}</p>
      <button
        type="button"
        onClick={() =>
          void acknowledge().then(() => {
            navigate('/account');
            requestAnimationFrame(() => document.getElementById('current-password')?.focus());
          })
        }
      >
        {t('warning.changePassword')}
      </button>{' '}
      <button type="button" onClick={() => void acknowledge()}>
        {t('warning.dismiss')}
      </button>
    </div>
  );
}
