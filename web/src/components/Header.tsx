import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AccountLocale, User } from '../../../src/shared/api-types';
import { navigate } from '../navigation';

/** onPickLanguage: the En / Es switch, the only thing that changes the account's language. */
export function Header({ user, onSignOut, onPickLanguage }: { user: User | null; onSignOut: () => void; onPickLanguage: (language: AccountLocale) => void }) {
  const { t, i18n } = useTranslation();
  const [open, setOpen] = useState(false);
  const menuRef = useRef<HTMLDivElement>(null);
  const language = i18n.resolvedLanguage === 'es' ? 'es' : 'en';

  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent | KeyboardEvent) => {
      if (event instanceof KeyboardEvent ? event.key === 'Escape' : !menuRef.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
    };
  }, [open]);

  const go = (to: string) => {
    setOpen(false);
    navigate(to);
  };

  return (
    <header className="topbar">
      <span className="brand">{t('brand')}</span>
      <div className="topbar-right">
        {/* biome-ignore lint/a11y/useSemanticElements: a pair of toggle buttons in the top bar; a fieldset would bring a legend and a border */}
        <div role="group" aria-label={t('language')} className="languages">
          <button type="button" aria-pressed={language === 'en'} onClick={() => onPickLanguage('en')} lang="en">
            En
          </button>
          <span aria-hidden="true">/</span>
          <button type="button" aria-pressed={language === 'es'} onClick={() => onPickLanguage('es')} lang="es">
            Es
          </button>
        </div>
        {user && (
          <div className="menu" ref={menuRef}>
            <button type="button" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)} aria-label={`${t('menu.open')}: ${user.email}`}>
              {user.email} ▾
            </button>
            {open && (
              <ul role="menu" className="menu-list">
                {!user.restricted && (
                  <li role="none">
                    <button type="button" role="menuitem" onClick={() => go('/account')}>
                      {t('menu.clientArea')}
                    </button>
                  </li>
                )}
                {user.role === 'admin' && !user.restricted && (
                  <>
                    <li role="none">
                      <button type="button" role="menuitem" onClick={() => go('/admin/users')}>
                        {t('menu.users')}
                      </button>
                    </li>
                    <li role="none">
                      <button type="button" role="menuitem" onClick={() => go('/admin/settings')}>
                        {t('menu.settings')}
                      </button>
                    </li>
                    <li role="none">
                      <button type="button" role="menuitem" onClick={() => go('/admin/applications')}>
                        {t('menu.applications')}
                      </button>
                    </li>
                  </>
                )}
                <li role="none">
                  <button
                    type="button"
                    role="menuitem"
                    onClick={() => {
                      setOpen(false);
                      onSignOut();
                    }}
                  >
                    {t('menu.signOut')}
                  </button>
                </li>
              </ul>
            )}
          </div>
        )}
      </div>
    </header>
  );
}
