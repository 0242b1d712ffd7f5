// The shell: header (brand, En / Es, user menu at the right) and the page for the path.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { RedirectTarget, SessionAnswer, SignInWarning as Warning, User } from '../../src/shared/api-types';
import { api } from './api';
import { navigate, pathOnly, usePath } from './navigation';
import { Header } from './components/Header';
import { SignInPage } from './pages/SignInPage';
import { AccountPage } from './pages/AccountPage';
import { UsersPage } from './pages/UsersPage';
import { SettingsPage } from './pages/SettingsPage';
import { EnrolPage } from './pages/EnrolPage';
import { SignInWarning } from './components/SignInWarning';
import { ApplicationsPage } from './pages/ApplicationsPage';
import { InteractionPage } from './pages/InteractionPage';
import { StepUpDialog } from './components/StepUpDialog';
import { ForgotPasswordPage } from './pages/ForgotPasswordPage';
import { ResetPasswordPage } from './pages/ResetPasswordPage';

/** Pages for people who are not signed in. */
const SIGNED_OUT_PAGES = ['/sign-in', '/forgot-password', '/reset-password'];
import { AdminNav } from './components/AdminNav';
import { AuditPage } from './pages/AuditPage';
import { EnablePage } from './pages/EnablePage';
import { formatDate } from './format';

export function App() {
  const { t, i18n } = useTranslation();
  const fullPath = usePath();
  const path = pathOnly(fullPath);
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [warning, setWarning] = useState<Warning | null>(null);

  const refresh = useCallback(async () => {
    try {
      const { user: current, warning: told } = await api<SessionAnswer>('GET', '/api/session');
      setUser(current);
      setWarning(told ?? null);
    } catch {
      setUser(null);
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  // An application's sign-in request (OpenID Connect) has its own page for every step.
  const interaction = /^\/interaction\/([\w-]+)$/.exec(path)?.[1];

  // The account's mail comes in the language of its UI: kept in step while signed in (best effort).
  const language = i18n.resolvedLanguage === 'es' ? 'es' : 'en';
  const signedInId = user && !user.restricted ? user.id : null;
  useEffect(() => {
    if (signedInId) api('PUT', '/api/me/locale', { locale: language }).catch(() => {});
  }, [signedInId, language]);

  useEffect(() => {
    if (interaction) return;
    if (user === null && !SIGNED_OUT_PAGES.includes(path)) navigate(`/sign-in${window.location.search}`);
    if (user?.restricted && path !== '/enrol') navigate(`/enrol${window.location.search}`);
    if (user && !user.restricted && (path === '/' || path === '/sign-in' || path === '/enrol')) {
      // Back to where a guarded application sent the user (?rd=), if the server allows that address.
      const rd = new URLSearchParams(window.location.search).get('rd');
      if (!rd) return navigate('/account');
      api<RedirectTarget>('GET', `/api/redirect-target?rd=${encodeURIComponent(rd)}`)
        .then(({ redirect }) => (redirect ? window.location.assign(redirect) : navigate('/account')))
        .catch(() => navigate('/account'));
    }
  }, [user, path, interaction]);

  const signOut = async () => {
    await api('DELETE', '/api/session');
    setUser(null);
    setWarning(null);
    navigate('/sign-in');
  };

  let page = null;
  if (user === undefined) page = null;
  else if (interaction) page = <InteractionPage key={interaction} uid={interaction} onSignedIn={refresh} />;
  else if (path === '/forgot-password') page = <ForgotPasswordPage />;
  else if (path === '/reset-password') page = <ResetPasswordPage />;
  else if (user === null) page = <SignInPage onSignedIn={refresh} />;
  else if (path === '/enrol' || user.restricted) page = <EnrolPage user={user} onEnrolled={refresh} />;
  else if (path === '/account/security/enable' && !user.twoFactorEnabled) page = <EnablePage onEnabled={refresh} />;
  else if (path === '/admin/users' && user.role === 'admin') page = <UsersPage me={user} />;
  else if (path === '/admin/audit' && user.role === 'admin') page = <AuditPage />;
  else if (path === '/admin/settings' && user.role === 'admin') page = <SettingsPage />;
  else if (path === '/admin/applications' && user.role === 'admin') page = <ApplicationsPage />;
  else page = <AccountPage key={fullPath} user={user} onChanged={refresh} />;

  return (
    <>
      <a className="skip-link" href="#main">
        {t('skipLink')}
      </a>
      <Header user={user ?? null} onSignOut={signOut} />
      {user && !user.restricted && user.twoFactorRequiredBy && !user.twoFactorEnabled && (
        <div className="banner" role="status">
          {/* A deadline already past (the session predates it) reads "now", never a date gone by. */}
          {Date.parse(user.twoFactorRequiredBy) > Date.now() ? t('account.required', { date: formatDate(user.twoFactorRequiredBy) }) : t('account.requiredNow')}{' '}
          <a
            href="/account/security/enable"
            onClick={(event) => {
              event.preventDefault();
              navigate('/account/security/enable');
            }}
          >
            {t('account.enable2fa')}
          </a>
        </div>
      )}
      {user && !user.restricted && warning && <SignInWarning warning={warning} onDone={() => setWarning(null)} />}
      <main id="main" tabIndex={-1}>
        {user && !user.restricted && user.role === 'admin' && path.startsWith('/admin/') && <AdminNav path={path} />}
        {page}
      </main>
      {user && <StepUpDialog twoFactorEnabled={user.twoFactorEnabled} />}
    </>
  );
}
