// Client area → Name: the owner's own names (PUT /api/me/profile), shown in the header and to
// administrators on Users.
import { useTranslation } from 'react-i18next';
import type { User } from '../../../src/shared/api-types';
import { api } from '../api';
import { NameFields } from './NameFields';

export function ProfileForm({ user, onChanged }: { user: User; onChanged: () => Promise<void> }) {
  const { t } = useTranslation();
  return (
    <section aria-labelledby="profile-title">
      <h2 id="profile-title">{t('overview.name')}</h2>
      <p className="hint">{t('profile.help')}</p>
      <NameFields
        id="profile"
        initial={user}
        done={t('profile.saved')}
        onSave={async (names) => {
          await api('PUT', '/api/me/profile', names);
          await onChanged();
        }}
      />
    </section>
  );
}
