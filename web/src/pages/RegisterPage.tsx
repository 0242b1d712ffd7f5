// Registering oneself (/register), when an administrator opened it. Without a token: the email to
// send a link to (the answer, and so the page, is the same whether or not the address has an
// account). With the link's token (/register?token=…): a password under the usual rules and an
// optional name; then signed in, or told the account waits for an administrator's approval.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { RegistrationPolicy, RegistrationPreview } from '../../../src/shared/api-types';
import { api } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { Link } from '../components/Link';
import { PasswordField } from '../components/PasswordField';
import { emailInput } from '../email-input';
import { pickedLanguage } from '../language';
import { useFormSubmit } from '../use-form-submit';
import { useLoad } from '../use-load';

export function RegisterPage() {
  const [token] = useState(() => new URLSearchParams(window.location.search).get('token') ?? '');
  return <section className="card narrow">{token ? <ChoosePassword token={token} /> : <AskForLink />}</section>;
}

function AskForLink() {
  const { t, i18n } = useTranslation();
  const policy = useLoad(() => api<RegistrationPolicy>('GET', '/api/registration'));
  const [email, setEmail] = useState('');
  const { submit, error, busy, done } = useFormSubmit(async () => {
    await api('POST', '/api/registration', { email, locale: i18n.resolvedLanguage === 'es' ? 'es' : 'en' });
  });
  const data = policy.data;
  const open = data !== null && data.registration !== 'off';
  return (
    <>
      <h1>{t('register.title')}</h1>
      <ErrorAlert error={policy.error} />
      {data && !open && <p role="status">{t('register.closed')}</p>}
      {open &&
        data &&
        (done ? (
          <p role="status">{t('register.sent', { email })}</p>
        ) : (
          <form onSubmit={submit}>
            <p>{t(data.registration === 'approval' ? 'register.introApproval' : 'register.intro')}</p>
            <label htmlFor="register-email">{t('signIn.email')}</label>
            <input
              id="register-email"
              {...emailInput('email')}
              aria-describedby={data.domains.length > 0 ? 'register-domains' : undefined}
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              required
              autoFocus
            />
            {data.domains.length > 0 && (
              <p className="hint" id="register-domains">
                {t('register.domains', { domains: data.domains.join(', ') })}
              </p>
            )}
            <ErrorAlert error={error} />
            <button type="submit" className="primary" disabled={busy}>
              {t('register.send')}
            </button>
          </form>
        ))}
      <Link to="/sign-in">{t('register.haveAccount')}</Link>
    </>
  );
}

function ChoosePassword({ token }: { token: string }) {
  const { t, i18n } = useTranslation();
  const registration = useLoad(() => api<RegistrationPreview>('POST', '/api/registration/preview', { token }));
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [waiting, setWaiting] = useState(false);
  const preview = registration.data;
  // The language the person registered in, unless they picked one here themselves.
  useEffect(() => {
    if (preview && !pickedLanguage() && preview.locale !== i18n.resolvedLanguage) void i18n.changeLanguage(preview.locale);
  }, [preview, i18n]);
  const { submit, error, busy } = useFormSubmit(async () => {
    const answer = await api<{ status: 'authenticated' | 'two_factor_setup_required' | 'awaiting_approval' }>('POST', '/api/registration/complete', {
      token,
      password,
      displayName: name.trim() || null,
    });
    if (answer.status === 'awaiting_approval') return setWaiting(true);
    // A full page load: the shell asks the server who is signed in (and sends a restricted session to enrolment).
    window.location.assign(answer.status === 'two_factor_setup_required' ? '/enrol' : '/account');
  });

  if (waiting)
    return (
      <>
        <h1>{t('register.waitingTitle')}</h1>
        <p role="status">{t('register.waiting')}</p>
        <Link to="/sign-in">{t('reset.backToSignIn')}</Link>
      </>
    );
  return (
    <>
      <h1>{t('register.chooseTitle')}</h1>
      {registration.error ? (
        <>
          <ErrorAlert error={registration.error} />
          <Link to="/register">{t('register.again')}</Link>
        </>
      ) : (
        preview && (
          <form onSubmit={submit}>
            <p>{t('register.confirmed', { email: preview.email })}</p>
            {preview.approval && <p>{t('register.approvalNext')}</p>}
            {/* The account's name for password managers, read-only: the link decides it. */}
            <label htmlFor="register-account">{t('signIn.email')}</label>
            <input id="register-account" type="text" autoComplete="username" value={preview.email} readOnly />
            <label htmlFor="register-name">{t('register.name')}</label>
            <input id="register-name" type="text" autoComplete="name" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
            <PasswordField id="register-password" label={t('reset.newPassword')} purpose="new" value={password} onChange={setPassword} />
            <ErrorAlert error={error} />
            <button type="submit" className="primary" disabled={busy}>
              {t('register.create')}
            </button>
          </form>
        )
      )}
    </>
  );
}
