// The administration area's own navigation, always visible on its pages.
import { useTranslation } from 'react-i18next';
import { navigate } from '../navigation';

const LINKS = [
  ['/admin/users', 'menu.users'],
  ['/admin/settings', 'menu.settings'],
  ['/admin/audit', 'menu.audit'],
  ['/admin/applications', 'menu.applications'],
] as const;

export function AdminNav({ path }: { path: string }) {
  const { t } = useTranslation();
  return (
    <nav className="admin-nav" aria-label={t('menu.admin')}>
      <ul>
        {LINKS.map(([to, label]) => (
          <li key={to}>
            <a
              href={to}
              aria-current={path === to ? 'page' : undefined}
              onClick={(event) => {
                event.preventDefault();
                navigate(to);
              }}
            >
              {t(label)}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
