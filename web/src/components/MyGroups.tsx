// Password and account security → the groups this account is in (GET /api/me/groups), read-only:
// administrators put accounts in groups, and some applications let in only a group's members.
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { useLoad } from '../use-load';
import { ErrorAlert } from './ErrorAlert';

export function MyGroups() {
  const { t } = useTranslation();
  const groups = useLoad(async () => (await api<{ groups: string[] }>('GET', '/api/me/groups')).groups);
  if (!groups.data) return <ErrorAlert error={groups.error} />;
  return (
    <section aria-labelledby="my-groups-title" data-my-groups>
      <h2 id="my-groups-title">{t('account.groups')}</h2>
      {groups.data.length === 0 ? (
        <p>{t('account.noGroups')}</p>
      ) : (
        <>
          <p className="hint">{t('account.groupsHelp')}</p>
          <ul className="group-list">
            {groups.data.map((name) => (
              <li key={name}>
                <code>{name}</code>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
