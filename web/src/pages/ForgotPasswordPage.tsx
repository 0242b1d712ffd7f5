// "Forgot password?": the email to send a reset link to. The answer is the same whether or not
// the email has an account, so the page says the same either way.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { Link } from '../components/Link';
import { useFormSubmit } from '../use-form-submit';
import { emailInput } from '../email-input';

export function ForgotPasswordPage() {
  const { t } = useTranslation();
  const [email, setEmail] = useState('');
  const { submit, error, busy, done } = useFormSubmit(async () => {
    await api('POST', '/api/password-reset', { email });
  });
  return (
    <section className="card narrow">
      <h1>{t('reset.forgotTitle')}</h1>
      {done ? (
        <p role="status">{t('reset.sent')}</p>
      ) : (
        <form onSubmit={submit}>
          <p>{t('reset.forgotHelp')}</p>
          <label htmlFor="reset-email">{t('signIn.email')}</label>
          <input id="reset-email" {...emailInput('username')} value={email} onChange={(e) => setEmail(e.target.value)} required autoFocus />
          <ErrorAlert error={error} />
          <button type="submit" className="primary" disabled={busy}>
            {t('reset.send')}
          </button>
        </form>
      )}
      <Link to="/sign-in">{t('reset.backToSignIn')}</Link>
    </section>
  );
}
