// Forced enrolment (require-2FA policy after the grace period): nothing else is possible until done.
import { useTranslation } from 'react-i18next';
import type { User } from '../../../src/shared/api-types';
import { Enrolment } from '../components/Enrolment';

export function EnrolPage({ onEnrolled }: { user: User; onEnrolled: () => Promise<void> }) {
  const { t } = useTranslation();
  return (
    <section className="card">
      <h1>{t('account.enable2fa')}</h1>
      <p className="warning">{t('account.mustEnrol')}</p>
      <Enrolment onDone={() => void onEnrolled()} />
    </section>
  );
}
