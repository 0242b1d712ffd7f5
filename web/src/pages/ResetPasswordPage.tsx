// The reset link's page: a new password, and for an account with 2FA a code from the app or a
// backup code (asked when the server answers code_required). Success ends every other session and
// signs in on this browser, which becomes a trusted device (issue 28): a lock an attacker keeps
// turning on at sign-in does not keep the owner out here.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { Link } from '../components/Link';
import { useFormSubmit } from '../use-form-submit';
import { normalizeCode } from '../codes';
import { CodeField } from '../components/CodeField';
import { PasswordField } from '../components/PasswordField';

export function ResetPasswordPage() {
  const { t } = useTranslation();
  const [token] = useState(() => new URLSearchParams(window.location.search).get('token') ?? '');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [needsCode, setNeedsCode] = useState(false);
  const [finished, setFinished] = useState(false);
  const { submit, error, busy } = useFormSubmit(async () => {
    try {
      await api('POST', '/api/password-reset/complete', { token, newPassword: password, ...(needsCode ? { code: normalizeCode(code) } : {}) });
      setFinished(true);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'code_required') {
        setNeedsCode(true);
        return;
      }
      throw e;
    }
  });
  const toSignIn = <Link to="/sign-in">{t('reset.backToSignIn')}</Link>;
  if (finished) {
    return (
      <section className="card narrow">
        <h1>{t('reset.title')}</h1>
        <p role="status">{t('reset.done')}</p>
        {/* A full page load: the shell asks the server again who is signed in. */}
        <a href="/account">{t('reset.continue')}</a>
      </section>
    );
  }
  return (
    <section className="card narrow">
      <h1>{t('reset.title')}</h1>
      <form onSubmit={submit}>
        <PasswordField id="new-password" label={t('reset.newPassword')} purpose="new" value={password} onChange={setPassword} />
        {needsCode && (
          <>
            <p>{t('reset.codeHelp')}</p>
            <CodeField id="reset-code" label={t('signIn.code')} kind="any" value={code} onChange={setCode} autoFocus />
          </>
        )}
        <ErrorAlert error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {t('reset.submit')}
        </button>
      </form>
      {toSignIn}
    </section>
  );
}
