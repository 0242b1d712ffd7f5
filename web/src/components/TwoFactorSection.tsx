// Password and account security → Two-factor authentication: its state, backup codes left, the
// phone's clock, Generate new codes and Disable authentication (enrolment has its own view).
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { BackupCodesAnswer, TwoFactorStatus } from '../../../src/shared/api-types';
import { api } from '../api';
import { ErrorAlert } from './ErrorAlert';
import { useFormSubmit } from '../use-form-submit';
import { useLoad } from '../use-load';
import { Enrolment } from './Enrolment';
import { BackupCodes } from './BackupCodes';
import { isAppCode, normalizeCode } from '../codes';
import { CodeField } from './CodeField';
import { PasswordField } from './PasswordField';
import { formatDate } from '../format';
import { navigate } from '../navigation';

type Mode = 'idle' | 'enrolling' | 'new-codes' | 'showing-codes' | 'disabling';

export function TwoFactorSection({ onChanged, email }: { onChanged: () => Promise<void>; email: string }) {
  const { t } = useTranslation();
  // The require-2FA banner links here with ?enrol=1: start enrolment straight away.
  const [mode, setMode] = useState<Mode>(new URLSearchParams(window.location.search).has('enrol') ? 'enrolling' : 'idle');
  const [codes, setCodes] = useState<string[]>([]);
  // Back from enrolment (/account/security/enable): the clear "it is on" moment, with the focus.
  // After disabling, the "it is off" paragraph itself is the notice (said once, not twice).
  const [notice, setNotice] = useState<'enabled' | 'disabled' | null>(new URLSearchParams(window.location.search).has('enabled') ? 'enabled' : null);
  const noticeRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);

  const { data: status, reload: load } = useLoad(() => api<TwoFactorStatus>('GET', '/api/me/2fa'));

  // A step's field and error live in its OneFieldForm, so leaving the step clears them.
  const reset = (next: Mode) => {
    setMode(next);
    setNotice(null);
  };

  // One code from the app: when a step-up is needed, the dialog offers this code, and a step-up
  // that spent a code from the app stands for it (the call goes again without one).
  const newCodes = async (typed: string) => {
    const code = normalizeCode(typed);
    const result = await api<BackupCodesAnswer>(
      'POST',
      '/api/me/2fa/backup-codes',
      { code },
      { stepUpCode: isAppCode(code) ? code : undefined, bodyAfterAppStepUp: {} },
    );
    setCodes(result.backupCodes);
    reset('showing-codes');
  };

  const disable = async (password: string) => {
    await api('POST', '/api/me/2fa/disable', { password });
    reset('idle');
    await load();
    setNotice('disabled');
    await onChanged();
  };

  const finished = async () => {
    reset('idle');
    if (window.location.search) window.history.replaceState(null, '', window.location.pathname);
    await load();
    await onChanged();
  };

  if (!status) return null;

  return (
    <section aria-labelledby="twofactor-title">
      <h2 id="twofactor-title">{t('account.twoFactor')}</h2>
      {notice === 'enabled' && (
        <p role="status" className="success" ref={noticeRef} tabIndex={-1}>
          {t('account.nowOn')}
        </p>
      )}
      {!status.enabled && mode === 'idle' && (
        <>
          {notice === 'disabled' ? (
            <p role="status" ref={noticeRef} tabIndex={-1}>
              {t('account.twoFactorOff')}
            </p>
          ) : (
            <p>{t('account.twoFactorOff')}</p>
          )}
          <button type="button" className="primary" data-action="enable-2fa" onClick={() => navigate('/account/security/enable')}>
            {t('account.enable2fa')}
          </button>
        </>
      )}
      {mode === 'enrolling' && <Enrolment onDone={() => void finished()} onCancel={() => reset('idle')} />}
      {mode === 'showing-codes' && <BackupCodes codes={codes} account={email} onConfirmed={() => void finished()} />}
      {status.enabled && mode !== 'showing-codes' && (
        <>
          <p>{t('account.on', { date: status.enabledAt ? formatDate(status.enabledAt) : '' })}</p>
          <p className={status.backupCodesLeft <= 3 ? 'warning' : undefined}>{t('account.codesLeft', { count: status.backupCodesLeft })}</p>
          {status.backupCodesLeft <= 3 && <p className="warning">{t('account.codesLow')}</p>}
          {status.clockOffsetSeconds !== null && Math.abs(status.clockOffsetSeconds) >= 20 && (
            <p className="warning">
              {t('account.clockOffset', {
                seconds: Math.abs(status.clockOffsetSeconds),
                direction: t(status.clockOffsetSeconds > 0 ? 'account.ahead' : 'account.behind'),
              })}
            </p>
          )}
          {mode === 'new-codes' ? (
            <OneFieldForm
              submit={t('account.generate')}
              onSubmit={newCodes}
              onCancel={() => reset('idle')}
              field={(value, setValue) => (
                <CodeField id="new-codes-code" label={t('account.appCodeForNew')} kind="app" value={value} onChange={setValue} autoFocus />
              )}
            />
          ) : mode === 'disabling' ? (
            <OneFieldForm
              submit={t('account.confirmDisable')}
              danger
              onSubmit={disable}
              onCancel={() => reset('idle')}
              field={(value, setValue) => (
                <PasswordField id="disable-password" label={t('account.passwordToDisable')} purpose="current" value={value} onChange={setValue} autoFocus />
              )}
            />
          ) : (
            <div className="actions">
              <button type="button" data-action="generate-codes" onClick={() => reset('new-codes')}>
                {t('account.generateNew')}
              </button>
              <button type="button" className="danger" onClick={() => reset('disabling')}>
                {t('account.disable')}
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}

/** A confirmation step with one field (a code, a password: `field` draws it), its submit button and Cancel. */
function OneFieldForm(props: {
  submit: string;
  danger?: boolean;
  onSubmit: (value: string) => Promise<void>;
  onCancel: () => void;
  field: (value: string, setValue: (value: string) => void) => ReactNode;
}) {
  const { t } = useTranslation();
  const [value, setValue] = useState('');
  const { submit, error } = useFormSubmit(() => props.onSubmit(value));
  return (
    <form onSubmit={submit}>
      {props.field(value, setValue)}
      <ErrorAlert error={error} />
      <div className="actions">
        <button type="submit" className={props.danger ? 'danger' : 'primary'}>
          {props.submit}
        </button>
        <button type="button" onClick={props.onCancel}>
          {t('account.cancel')}
        </button>
      </div>
    </form>
  );
}
