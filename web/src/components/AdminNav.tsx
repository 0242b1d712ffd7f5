// The administration area's own navigation, always visible on its pages.
import { useTranslation } from 'react-i18next';
import { Link } from './Link';

const LINKS = [
  ['/admin/users', 'menu.users'],
  ['/admin/invitations', 'menu.invitations'],
  ['/admin/groups', 'menu.groups'],
  ['/admin/settings', 'menu.settings'],
  ['/admin/audit', 'menu.audit'],
  ['/admin/applications', 'menu.applications'],
  ['/admin/providers', 'menu.providers'],
] as const;

export function AdminNav({ path }: { path: string }) {
  const { t } = useTranslation();
  return (
    <nav className="admin-nav" aria-label={t('menu.admin')}>
      <ul>
        {LINKS.map(([to, label]) => (
          <li key={to}>
            <Link to={to} aria-current={path === to ? 'page' : undefined}>
              {t(label)}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
