// Enrolment in 2FA: QR code (or account name and key typed in), clocks side by side,
// a confirmation code, then the backup codes.
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { BackupCodesAnswer, TwoFactorSetup } from '../../../src/shared/api-types';
import { api } from '../api';
import { useFormSubmit } from '../use-form-submit';
import { ErrorAlert } from './ErrorAlert';
import { BackupCodes } from './BackupCodes';
import { APP_CODE_DIGITS, normalizeCode } from '../codes';
import { CodeField } from './CodeField';
import { formatTime } from '../format';

export function Enrolment({ onDone, onCancel }: { onDone: () => void; onCancel?: () => void }) {
  const { t } = useTranslation();
  const [setup, setSetup] = useState<TwoFactorSetup | null>(null);
  const [setupError, setSetupError] = useState<unknown>(null);
  const [showKey, setShowKey] = useState(false);
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const [serverOffsetMs, setServerOffsetMs] = useState<number | null>(null);
  const [now, setNow] = useState(Date.now());
  const [keyCopied, setKeyCopied] = useState(false);
  const codeRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const started = Date.now();
    api<TwoFactorSetup>('POST', '/api/me/2fa/setup')
      .then((result) => setSetup(result))
      .catch(setSetupError);
    // The server's clock from the Date header, to show next to this device's.
    fetch('/healthz', { cache: 'no-store' })
      .then((r) => {
        const date = r.headers.get('date');
        if (date) setServerOffsetMs(new Date(date).getTime() + 500 - (started + Date.now()) / 2);
      })
      .catch(() => {});
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    if (setup) codeRef.current?.focus();
  }, [setup]);

  const { submit: enable, error } = useFormSubmit(async () => {
    const result = await api<BackupCodesAnswer>('POST', '/api/me/2fa/enable', { code: normalizeCode(code) });
    setCodes(result.backupCodes);
  });

  if (codes && setup) return <BackupCodes codes={codes} account={setup.accountName} onConfirmed={onDone} />;
  if (!setup) return <ErrorAlert error={setupError} />;

  const groupedKey = setup.key.match(/.{1,4}/g)?.join(' ') ?? setup.key;
  const driftSeconds = serverOffsetMs === null ? 0 : Math.round(Math.abs(serverOffsetMs) / 1000);
  const qrSrc = `data:image/svg+xml;base64,${btoa(setup.qrSvg)}`;

  return (
    <div className="enrolment">
      <p>{t('account.scan')}</p>
      <img className="qr" src={qrSrc} alt={t('account.qrAlt')} width={220} height={220} />
      {/* On a phone the app is on this very device: a link opens it with the key filled in. */}
      <p className="phone-only">
        <a href={setup.otpauthUri}>{t('enrol.openApp')}</a>
      </p>
      <button type="button" className="link" aria-expanded={showKey} aria-controls="manual-key" onClick={() => setShowKey(!showKey)}>
        {t('account.cantScan')}
      </button>
      {showKey && (
        <dl className="key" id="manual-key">
          <dt>{t('account.accountName')}</dt>
          <dd>{setup.accountName}</dd>
          <dt>{t('account.key')}</dt>
          <dd>
            <code data-key={setup.key}>{groupedKey}</code>{' '}
            <button
              type="button"
              onClick={() => {
                void navigator.clipboard.writeText(setup.key).then(() => setKeyCopied(true));
              }}
            >
              {keyCopied ? t('account.copied') : t('account.copyKey')}
            </button>
          </dd>
        </dl>
      )}
      <dl className="clocks">
        <dt>{t('account.serverTime')}</dt>
        <dd>{serverOffsetMs === null ? '…' : formatTime(now + serverOffsetMs)}</dd>
        <dt>{t('account.deviceTime')}</dt>
        <dd>{formatTime(now)}</dd>
      </dl>
      {driftSeconds > 30 && <p className="warning">{t('account.clockWarning', { seconds: driftSeconds })}</p>}
      <form onSubmit={enable}>
        <CodeField
          id="confirmation-code"
          label={t('account.confirmationCode')}
          kind="app"
          ref={codeRef}
          value={code}
          onChange={(typed) => setCode(normalizeCode(typed))}
          pattern={`[0-9]{${APP_CODE_DIGITS}}`}
        />
        <ErrorAlert error={error} />
        <div className="actions">
          <button type="submit" className="primary">
            {t('account.enable')}
          </button>
          {onCancel && (
            <button type="button" onClick={onCancel}>
              {t('account.cancel')}
            </button>
          )}
        </div>
      </form>
    </div>
  );
}
