// The shell: header (brand, En / Es, user menu at the right) and the page for the path.
import { useCallback, useEffect, useState } from 'react';
import i18next from 'i18next';
import { useTranslation } from 'react-i18next';
import type { AccountLocale, RedirectTarget, SessionAnswer, SignInWarning as Warning, User } from '../../src/shared/api-types';
import { api } from './api';
import { forgetPick, pickedLanguage, rememberPick, saveLanguage } from './language';
import { navigate, pathOnly, usePath } from './navigation';
import { Header } from './components/Header';
import { SignInWarning } from './components/SignInWarning';
import { StepUpDialog } from './components/StepUpDialog';
import { AdminNav } from './components/AdminNav';
import { Link } from './components/Link';
import { formatDate } from './format';
import { SIGNED_OUT_PAGES, interactionOf, pageFor } from './routes';

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
  const interaction = interactionOf(path);

  // The account's language (its mail's) changes only when the person picks one (En / Es): on load the
  // UI adopts the account's, so a sign-in from an English browser leaves a Spanish account Spanish.
  const fullSession = Boolean(user && !user.restricted);
  const accountLanguage = user?.locale;
  useEffect(() => {
    if (!user?.id) return;
    const picked = pickedLanguage();
    if (picked && picked === accountLanguage) forgetPick();
    else if (picked && fullSession) saveLanguage(picked).catch(() => {});
    const shown = picked ?? accountLanguage;
    // The module's instance: the hook's i18n is not stable across a language change and would run this again.
    if (shown && shown !== i18next.resolvedLanguage) void i18next.changeLanguage(shown);
  }, [user?.id, fullSession, accountLanguage]);
  const pickLanguage = (language: AccountLocale) => {
    void i18n.changeLanguage(language);
    if (fullSession) saveLanguage(language).catch(() => {});
    else rememberPick(language);
  };

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

  const page = pageFor(path, user, { fullPath, refresh });

  return (
    <>
      <a className="skip-link" href="#main">
        {t('skipLink')}
      </a>
      <Header user={user ?? null} onSignOut={signOut} onPickLanguage={pickLanguage} />
      {user && !user.restricted && user.twoFactorRequiredBy && !user.twoFactorEnabled && (
        <div className="banner" role="status">
          {/* A deadline already past (the session predates it) reads "now", never a date gone by. */}
          {Date.parse(user.twoFactorRequiredBy) > Date.now() ? t('account.required', { date: formatDate(user.twoFactorRequiredBy) }) : t('account.requiredNow')}{' '}
          <Link to="/account/security/enable">{t('account.enable2fa')}</Link>
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
