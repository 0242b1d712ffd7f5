// Password and account security, the overview: one line per area (its state and one action),
// each area's detail on its own view (pages/AccountPage.tsx lists them). Short on a phone too.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type {
  DeviceSessionList,
  GrantedApplicationList,
  SecurityKeysAnswer,
  SessionAnswer,
  TrustedDevice,
  TwoFactorStatus,
  UpstreamLink,
  User,
} from '../../../src/shared/api-types';
import { api } from '../api';
import { formatDate } from '../format';
import { navigate } from '../navigation';
import { useLoad } from '../use-load';
import { Link } from './Link';
import { nameOf } from './NameFields';

export function SecurityOverview({ user }: { user: User }) {
  const { t } = useTranslation();
  const twoFactor = useLoad(() => api<TwoFactorStatus>('GET', '/api/me/2fa'));
  const keys = useLoad(() => api<SecurityKeysAnswer>('GET', '/api/me/webauthn'));
  const sessions = useLoad(async () => (await api<DeviceSessionList>('GET', '/api/me/sessions')).sessions);
  const trusted = useLoad(async () => (await api<{ devices: TrustedDevice[] }>('GET', '/api/me/trusted-devices')).devices);
  const applications = useLoad(async () => (await api<GrantedApplicationList>('GET', '/api/me/applications')).applications);
  const groups = useLoad(async () => (await api<{ groups: string[] }>('GET', '/api/me/groups')).groups);
  const links = useLoad(async () => (await api<{ links: UpstreamLink[] }>('GET', '/api/me/upstream')).links);
  // Whether the owner may delete the account (the Authentication settings say; the session answer tells).
  const deletable = useLoad(async () => (await api<SessionAnswer>('GET', '/api/session')).canDeleteAccount === true);

  const status = twoFactor.data;
  const name = nameOf(user);
  return (
    <ul className="overview">
      <Row
        title={t('overview.name')}
        state={name ?? t('overview.noName')}
        action={<Action to="/account/profile" label={t('overview.edit')} area={t('overview.name')} />}
      />
      <Row
        title={t('emailChange.title')}
        state={user.email}
        action={<Action to="/account/security/email" label={t('emailChange.change')} area={t('emailChange.title')} />}
      />
      <Row
        title={t('account.twoFactor')}
        state={
          status &&
          (status.enabled ? (
            <>
              {t('overview.twoFactorOn', { date: status.enabledAt ? formatDate(status.enabledAt) : '' })} ·{' '}
              <span className={status.backupCodesLeft <= 3 ? 'warning' : undefined}>{t('account.codesLeft', { count: status.backupCodesLeft })}</span>
            </>
          ) : (
            t('overview.twoFactorOff')
          ))
        }
        action={
          status?.enabled === false ? (
            <button type="button" className="primary" data-action="enable-2fa" onClick={() => navigate('/account/security/enable')}>
              {t('account.enable2fa')}
            </button>
          ) : (
            <Action to="/account/security/two-factor" label={t('overview.manage')} area={t('account.twoFactor')} />
          )
        }
      />
      <Row
        title={t('keys.title')}
        state={keys.data && (keys.data.keys.length === 0 ? t('keys.none') : t('overview.keys', { count: keys.data.keys.length }))}
        action={<Action to="/account/security/keys" label={t('overview.manage')} area={t('keys.title')} />}
      />
      <Row
        title={t('overview.password')}
        state={t('overview.passwordState')}
        action={<Action to="/account/security/password" label={t('account.changePassword')} />}
      />
      <Row
        title={t('overview.devices')}
        state={
          sessions.data &&
          trusted.data &&
          `${t('overview.sessions', { count: sessions.data.length })} · ${t('overview.trusted', { count: trusted.data.length })}`
        }
        action={<Action to="/account/security/devices" label={t('overview.manage')} area={t('overview.devices')} />}
      />
      <Row
        title={t('granted.title')}
        state={applications.data && (applications.data.length === 0 ? t('granted.none') : t('overview.applications', { count: applications.data.length }))}
        action={<Action to="/account/security/applications" label={t('overview.manage')} area={t('granted.title')} />}
      />
      {/* Only for an account that signs in with another provider too. */}
      {links.data && links.data.length > 0 && (
        <Row
          title={t('upstream.linked.title')}
          state={links.data.map((l) => l.providerName).join(', ')}
          action={<Action to="/account/security/providers" label={t('overview.manage')} area={t('upstream.linked.title')} />}
        />
      )}
      <Row
        title={t('account.groups')}
        state={groups.data && (groups.data.length === 0 ? t('account.noGroups') : t('overview.groups', { names: groups.data.join(', ') }))}
        action={<Action to="/account/security/groups" label={t('overview.view')} area={t('account.groups')} />}
      />
      <Row
        title={t('account.events')}
        state={t('overview.activity')}
        action={<Action to="/account/security/activity" label={t('overview.view')} area={t('account.events')} />}
      />
      {deletable.data && (
        <Row title={t('deletion.deleteAccount')} state={t('deletion.overview')} action={<Action to="/account/security/delete" label={t('deletion.open')} />} />
      )}
    </ul>
  );
}

/** One area: its title and state at the left, its action at the right (below on a phone). */
function Row({ title, state, action }: { title: string; state: ReactNode; action: ReactNode }) {
  return (
    <li className="overview-row">
      <div>
        <h2>{title}</h2>
        <p className="hint">{state ?? '…'}</p>
      </div>
      {action}
    </li>
  );
}

/** The area's view, as a link; `area` completes a name said alike on several rows ("Manage: Devices"). */
function Action({ to, label, area }: { to: string; label: string; area?: string }) {
  return (
    <Link to={to} className="button-link" aria-label={area ? `${label}: ${area}` : undefined}>
      {label}
    </Link>
  );
}
