// Password and account security → the applications you allowed to sign you in, each revocable
// (its tokens stop working at once).
import { useTranslation } from 'react-i18next';
import type { GrantedApplication, GrantedApplicationList } from '../../../src/shared/api-types';
import { api } from '../api';
import { ErrorAlert } from './ErrorAlert';
import { useAction } from '../use-form-submit';
import { useLoad } from '../use-load';

export function GrantedApplications() {
  const { t } = useTranslation();
  const action = useAction();
  const list = useLoad(async () => (await api<GrantedApplicationList>('GET', '/api/me/applications')).applications);
  const applications: GrantedApplication[] = list.data ?? [];
  const load = list.reload;

  return (
    <section aria-labelledby="granted-title">
      <h2 id="granted-title">{t('granted.title')}</h2>
      {applications.length === 0 ? (
        <p>{t('granted.none')}</p>
      ) : (
        <ul className="granted">
          {applications.map((a) => (
            <li key={a.clientId}>
              <strong>{a.name}</strong>: {a.scopes.map((s) => t(`oidc.scopes.${s}`, { defaultValue: s })).join('; ')}{' '}
              <button
                type="button"
                onClick={() =>
                  void action.run(async () => {
                    await api('DELETE', `/api/me/applications/${encodeURIComponent(a.clientId)}`);
                    await load();
                  })
                }
              >
                {t('granted.revoke')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorAlert error={list.error ?? action.error} />
    </section>
  );
}
