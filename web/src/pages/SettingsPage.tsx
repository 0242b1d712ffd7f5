// Authentication settings (administrators) and the audit log of recent security events.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AuditEvent, AuditPage, AuthSettings, Require2fa } from '../../../src/shared/api-types';
import { api } from '../api';
import { ClockNotice } from '../components/ClockNotice';
import { ErrorAlert } from '../components/ErrorAlert';
import { useFormSubmit } from '../use-form-submit';

export function SettingsPage() {
  const { t } = useTranslation();
  const [settings, setSettings] = useState<AuthSettings | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [events, setEvents] = useState<AuditEvent[]>([]);

  const loadAudit = () =>
    api<AuditPage>('GET', '/api/admin/audit?limit=30')
      .then((r) => setEvents(r.events))
      .catch(() => {});

  // biome-ignore lint/correctness/useExhaustiveDependencies: loads once, when the page opens
  useEffect(() => {
    api<AuthSettings>('GET', '/api/admin/settings/authentication').then(setSettings).catch(setLoadError);
    void loadAudit();
  }, []);

  const { submit: save, error, done: saved } = useFormSubmit(async () => {
    setSettings(await api<AuthSettings>('PUT', '/api/admin/settings/authentication', settings));
    void loadAudit();
  });

  if (!settings) return <ErrorAlert error={loadError} />;

  const number = (field: keyof AuthSettings, min: number, max: number) => (
    <>
      <label htmlFor={field}>{t(`settings.${field}`)}</label>
      <input
        id={field}
        type="number"
        min={min}
        max={max}
        step={1}
        required
        value={String(settings[field])}
        onChange={(e) => setSettings({ ...settings, [field]: e.target.value === '' ? ('' as unknown as number) : Number(e.target.value) })}
      />
    </>
  );

  return (
    <section className="card wide">
      <h1>{t('settings.title')}</h1>
      <ClockNotice />
      <form onSubmit={save}>
        {number('passwordAttempts', 1, 100)}
        {number('codeAttempts', 1, 100)}
        {number('lockoutSeconds', 60, 86400)}
        <label htmlFor="require2fa">{t('settings.require2fa')}</label>
        <select id="require2fa" value={settings.require2fa} onChange={(e) => setSettings({ ...settings, require2fa: e.target.value as Require2fa })}>
          <option value="off">{t('settings.requireOff')}</option>
          <option value="admins">{t('settings.requireAdmins')}</option>
          <option value="everyone">{t('settings.requireEveryone')}</option>
        </select>
        {number('require2faGraceDays', 0, 90)}
        <ErrorAlert error={error} />
        {saved && <p role="status">{t('settings.saved')}</p>}
        <button type="submit" className="primary">
          {t('settings.save')}
        </button>
      </form>
      <h2>{t('settings.audit')}</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('settings.when')}</th>
              <th scope="col">{t('settings.event')}</th>
              <th scope="col">{t('settings.actor')}</th>
              <th scope="col">{t('settings.subject')}</th>
              <th scope="col">{t('settings.address')}</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.id}>
                <td>{new Date(e.at).toLocaleString()}</td>
                <td>
                  <code>{e.kind}</code>
                </td>
                <td>{e.actor?.email ?? '—'}</td>
                <td>{e.subject?.email ?? '—'}</td>
                <td>{e.address ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
