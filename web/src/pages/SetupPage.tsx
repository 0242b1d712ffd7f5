// First run: the setup link the server printed (/setup?token=…) creates the first administrator
// (email, password under the same rules, the account's language), signs in on this browser and
// offers 2FA enrolment straight away. Without a good token the page only says why and what to do.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AccountLocale } from '../../../src/shared/api-types';
import { api } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { Link } from '../components/Link';
import { PasswordField } from '../components/PasswordField';
import { emailInput } from '../email-input';
import { useFormSubmit } from '../use-form-submit';
import { useLoad } from '../use-load';

export function SetupPage() {
  const { t, i18n } = useTranslation();
  const [token] = useState(() => new URLSearchParams(window.location.search).get('token') ?? '');
  const link = useLoad(() => api<{ state: 'ready' | 'done' }>('POST', '/api/setup/check', { token: token || '-' }));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [locale, setLocale] = useState<AccountLocale>(i18n.resolvedLanguage === 'es' ? 'es' : 'en');
  const [finished, setFinished] = useState(false);
  const { submit, error, busy } = useFormSubmit(async () => {
    await api('POST', '/api/setup', { token, email, password, locale });
    await i18n.changeLanguage(locale);
    setFinished(true);
  });

  if (finished) {
    return (
      <section className="card narrow">
        <h1>{t('setup.doneTitle')}</h1>
        <p role="status">{t('setup.done', { email: email.trim() })}</p>
        <p>{t('setup.offer2fa')}</p>
        {/* Full page loads: the shell asks the server again who is signed in. */}
        <p className="actions">
          <a className="button-link" href="/account/security/enable">
            {t('account.enable2fa')}
          </a>
          <a href="/account">{t('setup.later')}</a>
        </p>
      </section>
    );
  }
  if (link.data?.state === 'done') {
    return (
      <section className="card narrow">
        <h1>{t('setup.title')}</h1>
        <p role="status">{t('setup.alreadyDone')}</p>
        <Link to="/sign-in">{t('reset.backToSignIn')}</Link>
      </section>
    );
  }
  return (
    <section className="card narrow">
      <h1>{t('setup.title')}</h1>
      {link.error ? (
        <>
          <ErrorAlert error={link.error} />
          <p>{t('setup.howToGetLink')}</p>
        </>
      ) : (
        link.data && (
          <form onSubmit={submit}>
            <p>{t('setup.intro')}</p>
            <label htmlFor="setup-email">{t('signIn.email')}</label>
            <input id="setup-email" {...emailInput('username')} value={email} onChange={(e) => setEmail(e.target.value)} required />
            <PasswordField id="setup-password" label={t('signIn.password')} purpose="new" value={password} onChange={setPassword} />
            <label htmlFor="setup-language">{t('setup.language')}</label>
            <select id="setup-language" value={locale} onChange={(e) => setLocale(e.target.value === 'es' ? 'es' : 'en')}>
              <option value="en">English</option>
              <option value="es">Español</option>
            </select>
            <ErrorAlert error={error} />
            <button type="submit" className="primary" disabled={busy}>
              {t('setup.submit')}
            </button>
          </form>
        )
      )}
    </section>
  );
}
