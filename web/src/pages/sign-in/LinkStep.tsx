// /sign-in?upstream_link=1: another provider vouched for an email that an account here already
// has. The provider's word alone never opens it: the person types that account's password, then its
// second factor when it has 2FA (as the sign-in's own second step: the security key first when the
// account has one, a code from the app or a backup code otherwise), and only then is the provider
// linked and the browser signed in. Where it goes next is the server's: the return address
// the sign-in started with, or / (where enrolment is forced when 2FA is required and off).
import { type ReactNode, useState } from 'react';
import { startAuthentication, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import type { PendingUpstreamLink, TwoFactorKind, UpstreamLinkAnswer } from '../../../../src/shared/api-types';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../../api';
import { normalizeCode } from '../../codes';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Link } from '../../components/Link';
import { PasswordField } from '../../components/PasswordField';
import { sitePath } from '../../upstream-text';
import { useAction, useFormSubmit } from '../../use-form-submit';
import { useLoad } from '../../use-load';
import { CodeStep } from './CodeStep';
import { KeyStep } from './KeyStep';
import { useLock } from './use-lock';

type PendingLink = PendingUpstreamLink;
type LinkAnswer = UpstreamLinkAnswer;

/** A full page load: the new session's page starts afresh, as after the provider's own redirect. */
const go = (to: string | null | undefined) => window.location.assign(sitePath(to) ?? '/');

/** The link step's security key: the options for the pending account's keys, the browser's dialog, the answer. */
async function keyCeremony(): Promise<LinkAnswer> {
  const optionsJSON = await api<PublicKeyCredentialRequestOptionsJSON>('POST', '/api/upstream/link/security-key/options');
  const response = await startAuthentication({ optionsJSON });
  return api<LinkAnswer>('POST', '/api/upstream/link/security-key', { response });
}

export function LinkStep() {
  const { t } = useTranslation();
  const pending = useLoad(() => api<PendingLink>('GET', '/api/upstream/link'));
  const [step, setStep] = useState<'password' | 'key' | 'code'>('password');
  const [methods, setMethods] = useState<TwoFactorKind[]>([]);
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const lock = useLock();
  const keyAction = useAction();

  /** The account's second factors, as the sign-in page asks them: the key comes first when there is one. */
  const secondStep = async () => {
    const { methods: factors } = await api<{ methods: TwoFactorKind[] }>('GET', '/api/session/second-factor/methods');
    setMethods(factors);
    setStep(factors.includes('webauthn') ? 'key' : 'code');
  };

  const { submit, error, busy } = useFormSubmit(async () => {
    try {
      const answer =
        step === 'code'
          ? await api<LinkAnswer>('POST', '/api/upstream/link/second-factor', { code: normalizeCode(code) })
          : await api<LinkAnswer>('POST', '/api/upstream/link', { password });
      setPassword('');
      if (answer.status === 'second_factor_required') await secondStep();
      else go(answer.status === 'authenticated' ? answer.returnTo : '/');
    } catch (e) {
      lock.note(e);
      throw e;
    }
  });

  const proveWithKey = () =>
    keyAction.run(async () => {
      let answer: LinkAnswer;
      try {
        answer = await keyCeremony();
      } catch (e) {
        lock.note(e);
        throw e;
      }
      go(answer.status === 'authenticated' ? answer.returnTo : '/');
    });

  const forgotLink = <Link to="/forgot-password">{t('signIn.forgot')}</Link>;
  const alert = <ErrorAlert error={error} lockedUntil={lock.until} whenLocked={forgotLink} />;
  const keyAlert = <ErrorAlert error={keyAction.error} lockedUntil={lock.until} whenLocked={forgotLink} />;
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
  if (step === 'key')
    return (
      <KeyStep
        alert={keyAlert}
        disabled={keyAction.busy || lock.locked}
        onUseKey={() => void proveWithKey()}
        hasApp={methods.includes('totp')}
        onUseCode={() => setStep('code')}
        onStartOver={() => go('/sign-in')}
      />
    );
  if (step === 'code')
    return (
      <CodeStep
        code={code}
        onCode={setCode}
        onSubmit={submit}
        disabled={busy || lock.locked}
        alert={alert}
        onUseKey={methods.includes('webauthn') ? () => setStep('key') : null}
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
