// /sign-in?upstream_link=1: another provider vouched for an email that an account here already
// has. The provider's word alone never opens it: the person types that account's password, then its
// second factor when it has 2FA (a code from the app or a backup code), and only then is the
// provider linked and the browser signed in. Where it goes next is the server's: the return address
// the sign-in started with, or / (where enrolment is forced when 2FA is required and off).
import { type ReactNode, useState } from 'react';
import type { PendingUpstreamLink, UpstreamLinkAnswer } from '../../../../src/shared/api-types';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../../api';
import { normalizeCode } from '../../codes';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Link } from '../../components/Link';
import { PasswordField } from '../../components/PasswordField';
import { sitePath } from '../../upstream-text';
import { useFormSubmit } from '../../use-form-submit';
import { useLoad } from '../../use-load';
import { CodeStep } from './CodeStep';
import { useLock } from './use-lock';

type PendingLink = PendingUpstreamLink;
type LinkAnswer = UpstreamLinkAnswer;

/** A full page load: the new session's page starts afresh, as after the provider's own redirect. */
const go = (to: string | null | undefined) => window.location.assign(sitePath(to) ?? '/');

export function LinkStep() {
  const { t } = useTranslation();
  const pending = useLoad(() => api<PendingLink>('GET', '/api/upstream/link'));
  const [step, setStep] = useState<'password' | 'code'>('password');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const lock = useLock();

  const { submit, error, busy } = useFormSubmit(async () => {
    try {
      const answer =
        step === 'code'
          ? await api<LinkAnswer>('POST', '/api/upstream/link/second-factor', { code: normalizeCode(code) })
          : await api<LinkAnswer>('POST', '/api/upstream/link', { password });
      setPassword('');
      if (answer.status === 'second_factor_required') setStep('code');
      else go(answer.status === 'authenticated' ? answer.returnTo : '/');
    } catch (e) {
      lock.note(e);
      throw e;
    }
  });

  const forgotLink = <Link to="/forgot-password">{t('signIn.forgot')}</Link>;
  const alert = <ErrorAlert error={error} lockedUntil={lock.until} whenLocked={forgotLink} />;
  // A plain link: the sign-in page loads afresh, without this step's state.
  const cancel = (label: string): ReactNode => <a href="/sign-in">{label}</a>;

  if (pending.error)
    return (
      <section className="card narrow">
        <h1>{t('upstream.link.title')}</h1>
        {pending.error instanceof ApiError && pending.error.code === 'no_pending_link' ? (
          <p role="alert" className="error">
            {t('upstream.link.ended')}
          </p>
        ) : (
          <ErrorAlert error={pending.error} />
        )}
        <p>{cancel(t('upstream.link.signInAgain'))}</p>
      </section>
    );
  const offer = pending.data;
  if (!offer) return null;
  if (step === 'code')
    return (
      <CodeStep
        code={code}
        onCode={setCode}
        onSubmit={submit}
        disabled={busy || lock.locked}
        alert={alert}
        onUseKey={null}
        onStartOver={() => go('/sign-in')}
      />
    );
  return (
    <section className="card narrow">
      <h1>{t('upstream.link.title')}</h1>
      <p>{t('upstream.link.explain', { provider: offer.provider.name, email: offer.email })}</p>
      <form onSubmit={submit}>
        {/* The account, read-only: the password manager then offers this account's password. */}
        <label htmlFor="link-email">{t('signIn.email')}</label>
        <input id="link-email" type="email" autoComplete="username" value={offer.email} readOnly />
        <PasswordField id="link-password" label={t('signIn.password')} purpose="current" value={password} onChange={setPassword} autoFocus />
        {alert}
        <button type="submit" className="primary" disabled={busy || lock.locked}>
          {t('upstream.link.submit')}
        </button>
      </form>
      <p>{cancel(t('upstream.link.cancel'))}</p>
    </section>
  );
}
