// Applications (administrators): the OpenID Connect clients, created here with their secret shown
// once, and deleted with everything issued to them; then the hosts guarded by forward auth with
// their rules, and "Can this person reach this address?" (issue 27).
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Application, ApplicationList, CreatedApplication } from '../../../src/shared/api-types';
import { api } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { AccessCheckForm } from '../components/AccessCheckForm';
import { ForwardAuthApplications } from '../components/ForwardAuthApplications';
import { useAction, useFormSubmit } from '../use-form-submit';
import { useLoad } from '../use-load';

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

export function ApplicationsPage() {
  const { t } = useTranslation();
  const [created, setCreated] = useState<CreatedApplication | null>(null);
  const list = useLoad(async () => (await api<ApplicationList>('GET', '/api/admin/applications')).applications);
  const applications: Application[] = list.data ?? [];
  const load = list.reload;
  const action = useAction();

  return (
    <section className="card wide">
      <h1>{t('applications.title')}</h1>
      <p>
        {t('applications.intro')} <code>{`${window.location.origin}/.well-known/openid-configuration`}</code>
      </p>
      <ErrorAlert error={list.error ?? action.error} />
      {/* A scroll box on a phone: focusable, so the keyboard can scroll it too. */}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take the focus to scroll by keyboard (axe scrollable-region-focusable) */}
      <section className="table-wrap" aria-label={t('applications.title')} tabIndex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('applications.name')}</th>
              <th scope="col">{t('applications.clientId')}</th>
              <th scope="col">{t('applications.redirectUris')}</th>
              <th scope="col">{t('applications.settings')}</th>
              <th scope="col">{t('applications.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {applications.length === 0 && (
              <tr>
                <td colSpan={5}>{t('applications.none')}</td>
              </tr>
            )}
            {applications.map((a) => (
              <tr key={a.id}>
                <td>{a.name}</td>
                <td>
                  <code>{a.id}</code>
                </td>
                <td>{a.redirectUris.join(' ')}</td>
                <td>
                  {a.public && <span className="badge">{t('applications.public').split(' (')[0]}</span>}{' '}
                  {a.require2fa && <span className="badge warning">2FA</span>}{' '}
                  {a.trusted && <span className="badge">{t('applications.trusted').split(' (')[0]}</span>}
                  {a.backchannelLogoutUri && (
                    <div>
                      {t('applications.backchannelLogoutShort')} <code>{a.backchannelLogoutUri}</code>
                    </div>
                  )}
                </td>
                <td>
                  <button
                    type="button"
                    onClick={() => {
                      if (window.confirm(t('applications.confirmDelete', { name: a.name })))
                        void action.run(async () => {
                          await api('DELETE', `/api/admin/applications/${encodeURIComponent(a.id)}`);
                          await load();
                        });
                    }}
                  >
                    {t('applications.delete')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {created && (
        <div role="status" className="warning">
          <p>{t('applications.created')}</p>
          <dl className="key">
            <dt>{t('applications.clientId')}</dt>
            <dd>
              <code>{created.client_id}</code>
            </dd>
            {created.client_secret && (
              <>
                <dt>{t('applications.clientSecret')}</dt>
                <dd>
                  <code>{created.client_secret}</code>
                </dd>
              </>
            )}
          </dl>
        </div>
      )}
      <CreateApplication
        onCreated={async (answer) => {
          setCreated(answer);
          await load();
        }}
      />
      <ForwardAuthApplications />
      <AccessCheckForm />
    </section>
  );
}

function CreateApplication({ onCreated }: { onCreated: (answer: CreatedApplication) => Promise<void> }) {
  const { t } = useTranslation();
  const [name, setName] = useState('');
  const [redirects, setRedirects] = useState('');
  const [postLogout, setPostLogout] = useState('');
  const [backchannel, setBackchannel] = useState('');
  const [flags, setFlags] = useState({ public: false, require2fa: false, trusted: false });
  const { submit, error } = useFormSubmit(async () => {
    const answer = await api<CreatedApplication>('POST', '/api/admin/applications', {
      name,
      redirectUris: lines(redirects),
      postLogoutRedirectUris: lines(postLogout),
      ...(backchannel.trim() ? { backchannelLogoutUri: backchannel.trim(), backchannelLogoutSessionRequired: true } : {}),
      ...flags,
    });
    setName('');
    setRedirects('');
    setPostLogout('');
    setBackchannel('');
    await onCreated(answer);
  });
  const flag = (key: keyof typeof flags) => (
    <label className="checkbox">
      <input type="checkbox" checked={flags[key]} onChange={(e) => setFlags({ ...flags, [key]: e.target.checked })} /> {t(`applications.${key}`)}
    </label>
  );
  return (
    <form onSubmit={submit} aria-labelledby="create-application">
      <h2 id="create-application">{t('applications.create')}</h2>
      <label htmlFor="app-name">{t('applications.name')}</label>
      <input id="app-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
      <label htmlFor="app-redirects">{t('applications.redirectUris')}</label>
      <textarea id="app-redirects" value={redirects} onChange={(e) => setRedirects(e.target.value)} required rows={2} />
      <label htmlFor="app-post-logout">{t('applications.postLogout')}</label>
      <textarea id="app-post-logout" value={postLogout} onChange={(e) => setPostLogout(e.target.value)} rows={2} />
      <label htmlFor="app-backchannel">{t('applications.backchannelLogout')}</label>
      <input id="app-backchannel" type="url" value={backchannel} onChange={(e) => setBackchannel(e.target.value)} maxLength={2000} />
      {flag('public')}
      {flag('require2fa')}
      {flag('trusted')}
      <ErrorAlert error={error} />
      <button type="submit">{t('applications.create')}</button>
    </form>
  );
}
