// Enrolment as steps on its own view (/account/security/enable): get an app → scan or type the key
// → enter the code → save the backup codes; then back to the overview, which says 2FA is on.
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Enrolment } from '../components/Enrolment';
import { navigate } from '../navigation';

export function EnablePage({ onEnabled }: { onEnabled: () => Promise<void> }) {
  const { t } = useTranslation();
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);
  return (
    <section className="card">
      <h1 ref={headingRef} tabIndex={-1}>
        {t('account.enable2fa')}
      </h1>
      <ol className="steps">
        <li>{t('enrol.stepApp')}</li>
        <li>{t('enrol.stepScan')}</li>
        <li>{t('enrol.stepCode')}</li>
        <li>{t('enrol.stepCodes')}</li>
      </ol>
      <Enrolment
        onDone={() => {
          void onEnabled().then(() => navigate('/account/security/two-factor?enabled=1'));
        }}
        onCancel={() => navigate('/account')}
      />
    </section>
  );
}
