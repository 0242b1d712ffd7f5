// Authentication settings (administrators): every field with its unit and what it does; the grace
// period only when 2FA is required. The audit log has its own page (AuditPage).
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AuthSettings, Group, Registration, Require2fa, User } from '../../../src/shared/api-types';
import { api } from '../api';
import { ClockNotice } from '../components/ClockNotice';
import { ErrorAlert } from '../components/ErrorAlert';
import { Link } from '../components/Link';
import { useFormSubmit } from '../use-form-submit';
import { useLoad } from '../use-load';

/** user: the administrator saving, warned before a change that would restrict their own account at once. */
export function SettingsPage({ user }: { user: User }) {
  const { t } = useTranslation();
  const { data: settings, setData: setSettings, error: loadError } = useLoad(() => api<AuthSettings>('GET', '/api/admin/settings/authentication'));
  const savedRef = useRef<HTMLParagraphElement>(null);
  const { data: groups } = useLoad(() => api<{ groups: Group[] }>('GET', '/api/admin/groups'));
  // The domains as typed (commas and spaces), turned into the list when saved.
  const [domainsText, setDomainsText] = useState<string | null>(null);

  const {
    submit: save,
    error,
    done: saved,
  } = useFormSubmit(async () => {
    const registrationDomains = (domainsText ?? settings?.registrationDomains.join(', ') ?? '').split(/[\s,]+/).filter((d) => d !== '');
    setSettings(await api<AuthSettings>('PUT', '/api/admin/settings/authentication', { ...settings, registrationDomains }));
    setDomainsText(null);
  });

  // The result of saving takes the focus (a screen reader hears it; the keyboard goes on from it).
  useEffect(() => {
    if (saved) savedRef.current?.focus();
  }, [saved]);

  if (!settings) return <ErrorAlert error={loadError} />;

  const number = (field: keyof AuthSettings, min: number, max: number) => (
    <>
      <label htmlFor={field}>{t(`settings.${field}`)}</label>
      <input
        aria-describedby={`${field}-help`}
        id={field}
        type="number"
        min={min}
        max={max}
        step={1}
        required
        value={String(settings[field])}
        onChange={(e) => setSettings({ ...settings, [field]: e.target.value === '' ? ('' as unknown as number) : Number(e.target.value) })}
      />
      <p className="hint" id={`${field}-help`}>
        {t(`settings.help.${field}`)}
      </p>
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
        <select
          id="require2fa"
          aria-describedby="require2fa-help"
          value={settings.require2fa}
          onChange={(e) => setSettings({ ...settings, require2fa: e.target.value as Require2fa })}
        >
          <option value="off">{t('settings.requireOff')}</option>
          <option value="admins">{t('settings.requireAdmins')}</option>
          <option value="everyone">{t('settings.requireEveryone')}</option>
        </select>
        <p className="hint" id="require2fa-help">
          {t('settings.help.require2fa')}
        </p>
        {settings.require2fa !== 'off' && number('require2faGraceDays', 0, 90)}
        {/* Both policies cover administrators; the server refuses such a change (enrol_two_factor_first). */}
        {settings.require2fa !== 'off' && settings.require2faGraceDays === 0 && !user.twoFactorEnabled && (
          <div className="warning" role="alert" data-lock-out-warning>
            <p>{t('settings.lockOutWarning')}</p>
            <Link to="/account/security/enable">{t('settings.enableOwn')}</Link>
          </div>
        )}
        <fieldset className="settings-part">
          <legend>{t('settings.registrationTitle')}</legend>
          <label htmlFor="registration">{t('settings.registration')}</label>
          <select
            id="registration"
            aria-describedby="registration-help"
            value={settings.registration}
            onChange={(e) => setSettings({ ...settings, registration: e.target.value as Registration })}
          >
            <option value="off">{t('settings.registrationOff')}</option>
            <option value="open">{t('settings.registrationOpen')}</option>
            <option value="approval">{t('settings.registrationApproval')}</option>
          </select>
          <p className="hint" id="registration-help">
            {t('settings.help.registration')}
          </p>
          {settings.registration !== 'off' && (
            <>
              <label htmlFor="registrationDomains">{t('settings.registrationDomains')}</label>
              <input
                id="registrationDomains"
                type="text"
                aria-describedby="registrationDomains-help"
                value={domainsText ?? settings.registrationDomains.join(', ')}
                onChange={(e) => setDomainsText(e.target.value)}
              />
              <p className="hint" id="registrationDomains-help">
                {t('settings.help.registrationDomains')}
              </p>
              <label htmlFor="registrationGroup">{t('settings.registrationGroup')}</label>
              <select
                id="registrationGroup"
                aria-describedby="registrationGroup-help"
                value={settings.registrationGroup ?? ''}
                onChange={(e) => setSettings({ ...settings, registrationGroup: e.target.value || null })}
              >
                <option value="">{t('settings.registrationNoGroup')}</option>
                {groups?.groups
                  .filter((g) => g.source === 'local' || g.name === settings.registrationGroup)
                  .map((g) => (
                    <option key={g.id} value={g.name}>
                      {g.name}
                    </option>
                  ))}
              </select>
              <p className="hint" id="registrationGroup-help">
                {t('settings.help.registrationGroup')}
              </p>
            </>
          )}
        </fieldset>
        <label className="checkbox">
          <input
            id="selfDeletion"
            type="checkbox"
            aria-describedby="selfDeletion-help"
            checked={settings.selfDeletion}
            onChange={(e) => setSettings({ ...settings, selfDeletion: e.target.checked })}
          />
          {t('settings.selfDeletion')}
        </label>
        <p className="hint" id="selfDeletion-help">
          {t('settings.help.selfDeletion')}
        </p>
        <ErrorAlert error={error} />
        {saved && (
          <p role="status" ref={savedRef} tabIndex={-1}>
            {t('settings.saved')}
          </p>
        )}
        <button type="submit" className="primary">
          {t('settings.save')}
        </button>
      </form>
    </section>
  );
}
