// An invitation's link (/invitation?token=…): who it is for, a password under the same rules, then
// signed in on this browser; when the invitation requires 2FA the shell goes straight to enrolment
// (the session may do nothing else). A used, withdrawn or expired link says so, and what to do.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { InvitationPreview } from '../../../src/shared/api-types';
import { api } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { Link } from '../components/Link';
import { PasswordField } from '../components/PasswordField';
import { pickedLanguage } from '../language';
import { useFormSubmit } from '../use-form-submit';
import { useLoad } from '../use-load';

export function InvitationPage() {
  const { t, i18n } = useTranslation();
  const [token] = useState(() => new URLSearchParams(window.location.search).get('token') ?? '');
  const invitation = useLoad(() => api<InvitationPreview>('POST', '/api/invitations/preview', { token: token || '-' }));
  const [password, setPassword] = useState('');
  const preview = invitation.data;
  // The language the administrator chose for this person, unless they picked one themselves.
  useEffect(() => {
    if (preview && !pickedLanguage() && preview.locale !== i18n.resolvedLanguage) void i18n.changeLanguage(preview.locale);
  }, [preview, i18n]);
  const { submit, error, busy } = useFormSubmit(async () => {
    const answer = await api<{ status: 'authenticated' | 'two_factor_setup_required' }>('POST', '/api/invitations/accept', { token, password });
    // A full page load: the shell asks the server who is signed in (and sends a restricted session to enrolment).
    window.location.assign(answer.status === 'two_factor_setup_required' ? '/enrol' : '/account');
  });

  return (
    <section className="card narrow">
      <h1>{t('invitation.title')}</h1>
      {invitation.error ? (
        <>
          <ErrorAlert error={invitation.error} />
          <Link to="/sign-in">{t('reset.backToSignIn')}</Link>
        </>
      ) : (
        preview && (
          <form onSubmit={submit}>
            <p>{t('invitation.intro', { email: preview.email })}</p>
            {preview.requireTwoFactor && <p>{t('invitation.twoFactorRequired')}</p>}
            {/* The account's name for password managers, read-only: the invitation decides it. */}
            <label htmlFor="invitation-email">{t('signIn.email')}</label>
            <input id="invitation-email" type="text" autoComplete="username" value={preview.email} readOnly />
            <PasswordField id="invitation-password" label={t('reset.newPassword')} purpose="new" value={password} onChange={setPassword} />
            <ErrorAlert error={error} />
            <button type="submit" className="primary" disabled={busy}>
              {t('invitation.submit')}
            </button>
          </form>
        )
      )}
    </section>
  );
}
