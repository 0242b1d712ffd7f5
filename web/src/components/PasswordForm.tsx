// Password and account security → Password: the current one, then the new one (a step-up first:
// changing it signs out the other sessions).
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { ErrorAlert } from './ErrorAlert';
import { PasswordField } from './PasswordField';
import { useFormSubmit } from '../use-form-submit';

export function PasswordForm() {
  const { t } = useTranslation();
  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNew] = useState('');
  const { submit, error, done } = useFormSubmit(async () => {
    await api('POST', '/api/me/password', { currentPassword, newPassword });
    setCurrent('');
    setNew('');
  });

  return (
    <form onSubmit={submit} aria-labelledby="password-title">
      <h2 id="password-title">{t('account.changePassword')}</h2>
      <PasswordField id="current-password" label={t('account.currentPassword')} purpose="current" value={currentPassword} onChange={setCurrent} />
      <PasswordField id="new-password" label={t('account.newPassword')} purpose="new" value={newPassword} onChange={setNew} aria-describedby="password-rules" />
      <p id="password-rules" className="hint">
        {t('account.passwordRules')}
      </p>
      <ErrorAlert error={error} />
      {done && <p role="status">{t('account.passwordChanged')}</p>}
      <button type="submit">{t('account.savePassword')}</button>
    </form>
  );
}
