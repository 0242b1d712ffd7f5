// Password and account security → Email: the current address and a new one (a step-up first,
// asked by the dialog). The answer is the same whether or not another account has the address, so
// the page says the same either way. A directory account's email is the directory's: no form.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { EmailChangeRequested, EmailStatus, User } from '../../../src/shared/api-types';
import { api } from '../api';
import { emailInput } from '../email-input';
import { useFormSubmit } from '../use-form-submit';
import { useLoad } from '../use-load';
import { ErrorAlert } from './ErrorAlert';

export function EmailChange({ user }: { user: User }) {
  const { t } = useTranslation();
  const status = useLoad(() => api<EmailStatus>('GET', '/api/me/email'));
  const [email, setEmail] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const { submit, error, busy } = useFormSubmit(async () => {
    setSentTo(null);
    const answer = await api<EmailChangeRequested>('POST', '/api/me/email', { email });
    setSentTo(answer.sentTo);
    setEmail('');
  });

  return (
    <section aria-labelledby="email-title">
      <h2 id="email-title">{t('emailChange.title')}</h2>
      <p>{t('emailChange.current', { email: status.data?.email ?? user.email })}</p>
      <ErrorAlert error={status.error} />
      {status.data?.managedByDirectory && <p>{t('emailChange.directory')}</p>}
      {status.data && !status.data.managedByDirectory && (
        <form onSubmit={submit}>
          <p id="email-help" className="hint">
            {t('emailChange.help')}
          </p>
          <label htmlFor="new-email">{t('emailChange.newEmail')}</label>
          <input id="new-email" {...emailInput('email')} value={email} onChange={(e) => setEmail(e.target.value)} required aria-describedby="email-help" />
          <ErrorAlert error={error} />
          {sentTo && <p role="status">{t('emailChange.sent', { email: sentTo })}</p>}
          <button type="submit" className="primary" disabled={busy}>
            {t('emailChange.submit')}
          </button>
        </form>
      )}
    </section>
  );
}
