// Client area → "Password and account security": an overview (one line per area with its state
// and one action, as GitHub's and Google's account security pages), and each area on its own view
// under /account/security/… (and the name under /account/profile), with a way back.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { User } from '../../../src/shared/api-types';
import { DeleteAccount } from '../components/DeleteAccount';
import { Devices } from '../components/Devices';
import { EmailChange } from '../components/EmailChange';
import { GrantedApplications } from '../components/GrantedApplications';
import { Link } from '../components/Link';
import { LinkedProviders } from '../components/LinkedProviders';
import { MyGroups } from '../components/MyGroups';
import { PasswordForm } from '../components/PasswordForm';
import { ProfileForm } from '../components/ProfileForm';
import { SecurityEvents } from '../components/SecurityEvents';
import { SecurityKeys } from '../components/SecurityKeys';
import { SecurityOverview } from '../components/SecurityOverview';
import { TrustedDevices } from '../components/TrustedDevices';
import { TwoFactorSection } from '../components/TwoFactorSection';

interface ViewProps {
  user: User;
  onChanged: () => Promise<void>;
}

/** The views of the areas, by path (the overview links to each); any other path: the overview. */
export const ACCOUNT_VIEWS: Record<string, (props: ViewProps) => ReactNode> = {
  '/account/profile': ({ user, onChanged }) => <ProfileForm user={user} onChanged={onChanged} />,
  '/account/security/two-factor': ({ user, onChanged }) => <TwoFactorSection onChanged={onChanged} email={user.email} />,
  '/account/security/keys': ({ user, onChanged }) => <SecurityKeys onChanged={onChanged} email={user.email} />,
  '/account/security/email': ({ user }) => <EmailChange user={user} />,
  '/account/security/password': () => <PasswordForm />,
  '/account/security/devices': () => (
    <>
      <Devices />
      <TrustedDevices />
    </>
  ),
  '/account/security/applications': () => <GrantedApplications />,
  '/account/security/providers': () => <LinkedProviders />,
  '/account/security/groups': () => <MyGroups />,
  '/account/security/activity': () => <SecurityEvents />,
  '/account/security/delete': ({ user, onChanged }) => <DeleteAccount user={user} onChanged={onChanged} />,
};

export function AccountPage({ user, path, onChanged }: { user: User; path: string; onChanged: () => Promise<void> }) {
  const { t } = useTranslation();
  const view = ACCOUNT_VIEWS[path];
  return (
    <section className="card">
      <h1>{t('account.title')}</h1>
      <div role="tablist" aria-label={t('account.title')} className="tabs">
        <button type="button" role="tab" aria-selected="true" id="tab-security" aria-controls="panel-security">
          {t('account.securityTab')}
        </button>
      </div>
      <div role="tabpanel" id="panel-security" aria-labelledby="tab-security">
        {view ? (
          <>
            <p className="back">
              <Link to="/account">← {t('overview.back')}</Link>
            </p>
            {view({ user, onChanged })}
          </>
        ) : (
          <SecurityOverview user={user} />
        )}
      </div>
    </section>
  );
}
