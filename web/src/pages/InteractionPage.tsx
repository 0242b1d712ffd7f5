// An application asked Gatehouse to sign someone in (OpenID Connect): the same sign-in, second
// step, enrolment and a consent page, then back to the application. The server says which step
// is missing; this page shows it and asks again after each one.
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { InteractionDetails, InteractionRedirect } from '../../../src/shared/api-types';
import { api } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { Enrolment } from '../components/Enrolment';
import { useFormSubmit } from '../use-form-submit';
import { useLoad } from '../use-load';
import { SignInPage } from './SignInPage';
import { normalizeCode } from '../codes';
import { CodeField } from '../components/CodeField';
import { PasswordField } from '../components/PasswordField';

export function InteractionPage({ uid, onSignedIn }: { uid: string; onSignedIn: () => Promise<void> }) {
  const { t } = useTranslation();
  const base = `/api/oidc/interactions/${encodeURIComponent(uid)}`;
  const loaded = useLoad(() => api<InteractionDetails>('GET', base), base);
  const details = loaded.data;
  // A later failure (asking again after a step, going back to the application) replaces the page too.
  const [failure, setFailure] = useState<unknown>(null);
  const loadError = loaded.error ?? failure;
  const reload = () => loaded.reload().catch(setFailure);
  const continued = useRef(false);

  const finish = async (body: { approve?: boolean } = {}) => {
    const { redirect } = await api<InteractionRedirect>('POST', `${base}/continue`, body);
    window.location.assign(redirect);
  };
  const decline = async () => {
    const { redirect } = await api<InteractionRedirect>('POST', `${base}/abort`);
    window.location.assign(redirect);
  };

  // Nothing is missing: straight back to the application.
  useEffect(() => {
    if (details?.step !== 'continue' || continued.current) return;
    continued.current = true;
    finish().catch(setFailure);
  });

  if (loadError)
    return (
      <section className="card narrow">
        <ErrorAlert error={loadError} />
      </section>
    );
  if (!details) return <p role="status">{t('oidc.loading')}</p>;
  const app = details.application.name;
  const after = async () => {
    await onSignedIn();
    await reload();
  };

  switch (details.step) {
    case 'sign_in':
      return (
        <>
          <p className="banner" role="note">
            {t('oidc.signInFor', { app })}
          </p>
          <SignInPage onSignedIn={after} initialEmail={details.loginHint} />
        </>
      );
    case 'reauthenticate':
      return <Reauthenticate app={app} twoFactor={details.twoFactorEnabled === true} onDone={after} />;
    case 'second_factor':
      return <SecondStep base={base} app={app} onDone={after} />;
    case 'enrol':
      return (
        <section className="card">
          <h1>{t('oidc.enrolTitle', { app })}</h1>
          <p className="warning">{t('oidc.enrolHelp', { app })}</p>
          <Enrolment onDone={() => void after()} />
        </section>
      );
    case 'consent':
      return <Consent app={app} scopes={details.scopes} onAllow={() => finish({ approve: true })} onDeny={decline} />;
    default:
      return <p role="status">{t('oidc.continuing', { app })}</p>;
  }
}

/** prompt=login or max_age: the password again (and a code with 2FA), through the step-up; its time is the new auth_time. */
function Reauthenticate({ app, twoFactor, onDone }: { app: string; twoFactor: boolean; onDone: () => Promise<void> }) {
  const { t } = useTranslation();
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const { submit, error, busy } = useFormSubmit(async () => {
    await api('POST', '/api/session/step-up', twoFactor ? { password, code: normalizeCode(code) } : { password });
    await onDone();
  });
  return (
    <section className="card narrow">
      <h1>{t('oidc.reauthenticateTitle', { app })}</h1>
      <p>{t('oidc.reauthenticateHelp', { app })}</p>
      <form onSubmit={submit}>
        <PasswordField id="reauthenticate-password" label={t('stepUp.password')} purpose="current" value={password} onChange={setPassword} autoFocus />
        {twoFactor && <CodeField id="reauthenticate-code" label={t('stepUp.code')} kind="any" value={code} onChange={setCode} />}
        <ErrorAlert error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {t('stepUpPage.continue')}
        </button>
      </form>
    </section>
  );
}

function SecondStep({ base, app, onDone }: { base: string; app: string; onDone: () => Promise<void> }) {
  const { t } = useTranslation();
  const [code, setCode] = useState('');
  const { submit, error, busy } = useFormSubmit(async () => {
    await api('POST', `${base}/second-factor`, { code: normalizeCode(code) });
    await onDone();
  });
  return (
    <section className="card narrow">
      <h1>{t('oidc.secondStepTitle', { app })}</h1>
      <p>{t('oidc.secondStepHelp')}</p>
      <form onSubmit={submit}>
        <CodeField id="code" label={t('signIn.code')} kind="any" value={code} onChange={setCode} autoFocus />
        <ErrorAlert error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {t('signIn.verify')}
        </button>
      </form>
    </section>
  );
}

function Consent({ app, scopes, onAllow, onDeny }: { app: string; scopes: string[]; onAllow: () => Promise<void>; onDeny: () => Promise<void> }) {
  const { t } = useTranslation();
  const allow = useFormSubmit(onAllow);
  const deny = useFormSubmit(onDeny);
  return (
    <section className="card narrow">
      <h1>{t('oidc.consentTitle', { app })}</h1>
      <p>{t('oidc.consentHelp', { app })}</p>
      <ul>
        {scopes.map((scope) => (
          <li key={scope}>{t(`oidc.scopes.${scope}`, { defaultValue: scope })}</li>
        ))}
      </ul>
      <ErrorAlert error={allow.error ?? deny.error} />
      <div className="actions">
        <form onSubmit={allow.submit}>
          <button type="submit" className="primary" disabled={allow.busy || deny.busy}>
            {t('oidc.allow')}
          </button>
        </form>
        <form onSubmit={deny.submit}>
          <button type="submit" disabled={allow.busy || deny.busy}>
            {t('oidc.deny')}
          </button>
        </form>
      </div>
    </section>
  );
}
