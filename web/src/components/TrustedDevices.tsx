// Client area → Password and account security: the browsers trusted for this account (device
// cookies), each of which can be made untrusted again.
import { useTranslation } from 'react-i18next';
import type { TrustedDevice } from '../../../src/shared/api-types';
import { api } from '../api';
import { ErrorAlert } from './ErrorAlert';
import { useAction } from '../use-form-submit';
import { useLoad } from '../use-load';
import { formatDateTime } from '../format';
import { browserOnSystem } from '../device-text';

export function TrustedDevices() {
  const { t } = useTranslation();
  const action = useAction();
  const list = useLoad(async () => (await api<{ devices: TrustedDevice[] }>('GET', '/api/me/trusted-devices')).devices);
  const devices = list.data;
  const load = list.reload;

  return (
    <section aria-labelledby="trusted-devices-title">
      <h2 id="trusted-devices-title">{t('trustedDevices.title')}</h2>
      <p className="hint">{t('trustedDevices.explain')}</p>
      <ErrorAlert error={list.error ?? action.error} />
      {devices && devices.length === 0 && <p>{t('trustedDevices.none')}</p>}
      {devices && devices.length > 0 && (
        <ul className="devices">
          {devices.map((d) => (
            <li key={d.id}>
              <span>
                {browserOnSystem(t, d)}
                {d.current ? ` (${t('trustedDevices.current')})` : ''} — {t('trustedDevices.lastUsed', { date: formatDateTime(d.lastUsedAt) })}
              </span>{' '}
              <button
                type="button"
                disabled={action.busy}
                onClick={() =>
                  void action.run(async () => {
                    await api('DELETE', `/api/me/trusted-devices/${d.id}`);
                    await load();
                  })
                }
              >
                {t('trustedDevices.revoke')}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
