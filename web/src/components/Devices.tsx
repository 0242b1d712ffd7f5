// "Your devices": where the account is signed in, with Sign out per session and Sign out everywhere else.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { DeviceSession, DeviceSessionList } from '../../../src/shared/api-types';
import { api } from '../api';
import { useAction } from '../use-form-submit';
import { useLoad } from '../use-load';
import { ErrorAlert } from './ErrorAlert';
import { formatDateTime } from '../format';
import { browserOnSystem } from '../device-text';

export function Devices() {
  const { t } = useTranslation();
  const [notice, setNotice] = useState<string | null>(null);
  const action = useAction();

  const list = useLoad(async () => (await api<DeviceSessionList>('GET', '/api/me/sessions')).sessions);
  const load = list.reload;
  // A list that could not be loaded shows as empty.
  const sessions = list.data ?? (list.error ? [] : null);

  const run = (work: () => Promise<unknown>, done: string) =>
    action.run(async () => {
      setNotice(null);
      await work();
      setNotice(done);
      await load();
    });

  if (!sessions) return null;
  const describe = (s: DeviceSession) => browserOnSystem(t, s);
  return (
    <section aria-labelledby="devices-title">
      <h2 id="devices-title">{t('devices.title')}</h2>
      <p className="hint">{t('devices.help')}</p>
      {notice && <p role="status">{notice}</p>}
      <ErrorAlert error={action.error} />
      <ul className="devices" aria-labelledby="devices-title">
        {sessions.map((s) => (
          <li key={s.id}>
            <strong>{describe(s)}</strong> {s.current && <span className="badge">{t('devices.thisDevice')}</span>}
            <div className="meta">
              {t('devices.address')}: {s.address ?? '—'} · {t('devices.signedIn')}: {formatDateTime(s.signedInAt)} · {t('devices.lastActive')}:{' '}
              {formatDateTime(s.lastActiveAt)}
            </div>
            {!s.current && (
              <button
                type="button"
                aria-label={`${t('devices.signOut')}: ${describe(s)}`}
                onClick={() => void run(() => api('DELETE', `/api/me/sessions/${encodeURIComponent(s.id)}`), t('devices.signedOutOne'))}
              >
                {t('devices.signOut')}
              </button>
            )}
          </li>
        ))}
      </ul>
      {sessions.some((s) => !s.current) && (
        <button type="button" className="danger" onClick={() => void run(() => api('POST', '/api/me/sessions/sign-out-others'), t('devices.signedOutOthers'))}>
          {t('devices.signOutOthers')}
        </button>
      )}
    </section>
  );
}
