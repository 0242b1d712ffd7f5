// After a sign-in with a backup code: how many are left (a warning when few), then Continue.
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';

export function BackupNotice({ left, onContinue }: { left: number; onContinue: () => void }) {
  const { t } = useTranslation();
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);
  return (
    <section className="card narrow">
      <h1 ref={headingRef} tabIndex={-1}>
        {t('signIn.title')}
      </h1>
      <p role="status">{t('signIn.backupUsed', { count: left })}</p>
      {left <= 3 && <p className="warning">{t('signIn.backupLow', { count: left })}</p>}
      <button type="button" className="primary" onClick={onContinue}>
        {t('signIn.continue')}
      </button>
    </section>
  );
}
