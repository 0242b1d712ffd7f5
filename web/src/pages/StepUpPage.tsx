// /step-up?rd=…: where forward auth sends a signed-in person whose sign-in is too weak for the
// application's rule (a `two_factors` rule, a session that signed in with the password alone on a
// trusted browser). The password and a code; then back to the exact address, if the server allows it.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { RedirectTarget, User } from '../../../src/shared/api-types';
import { api } from '../api';
import { normalizeCode } from '../codes';
import { CodeField } from '../components/CodeField';
import { ErrorAlert } from '../components/ErrorAlert';
import { PasswordField } from '../components/PasswordField';
import { navigate } from '../navigation';
import { useFormSubmit } from '../use-form-submit';

export function StepUpPage({ user }: { user: User }) {
  const { t } = useTranslation();
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const rd = new URLSearchParams(window.location.search).get('rd');

  const { submit, error } = useFormSubmit(async () => {
    await api('POST', '/api/session/step-up', { password, code: normalizeCode(code) });
    const { redirect } = rd ? await api<RedirectTarget>('GET', `/api/redirect-target?rd=${encodeURIComponent(rd)}`) : { redirect: null };
    if (redirect) window.location.assign(redirect);
    else navigate('/account');
  });

  return (
    <div className="card narrow">
      <h1>{t('stepUpPage.title')}</h1>
      {user.twoFactorEnabled ? (
        <>
          <p>{t('stepUpPage.help')}</p>
          <form onSubmit={submit}>
            <PasswordField id="step-up-page-password" label={t('stepUp.password')} purpose="current" value={password} onChange={setPassword} autoFocus />
            <CodeField id="step-up-page-code" label={t('stepUp.code')} kind="any" value={code} onChange={setCode} />
            <ErrorAlert error={error} />
            <div className="actions">
              <button type="submit" className="primary">
                {t('stepUpPage.continue')}
              </button>
            </div>
          </form>
        </>
      ) : (
        <p>{t('stepUpPage.noSecondFactor')}</p>
      )}
    </div>
  );
}
