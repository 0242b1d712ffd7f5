// The backup codes, shown once: Save to file, Print, Copy, then "I confirm that the codes are saved"
// (enabled only after one of the three was used).
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDate } from '../format';

export function BackupCodes({ codes, account, onConfirmed }: { codes: string[]; account: string; onConfirmed: () => void }) {
  const { t } = useTranslation();
  const [saved, setSaved] = useState(false);
  const [copied, setCopied] = useState(false);
  const [copyFailed, setCopyFailed] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => headingRef.current?.focus(), []);

  const fileText = () =>
    [t('codes.fileHeader', { platform: t('brand'), account }), t('codes.fileDate', { date: new Date().toISOString().slice(0, 10) }), '', ...codes, ''].join(
      '\n',
    );

  const save = () => {
    const url = URL.createObjectURL(new Blob([fileText()], { type: 'text/plain' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `gatehouse-backup-codes-${new Date().toISOString().slice(0, 10)}.txt`;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    setSaved(true);
  };

  const print = () => {
    window.print();
    setSaved(true);
  };

  // A refused clipboard (no permission, no secure context) says so instead of nothing.
  const copy = async () => {
    setCopied(false);
    setCopyFailed(false);
    try {
      await navigator.clipboard.writeText(codes.join('\n'));
      setCopied(true);
      setSaved(true);
    } catch {
      setCopyFailed(true);
    }
  };

  return (
    <section className="backup-codes" aria-labelledby="codes-title">
      <h2 id="codes-title" ref={headingRef} tabIndex={-1}>
        {t('codes.title')}
      </h2>
      <p>{t('codes.help')}</p>
      <p className="print-only print-header">
        {t('codes.printHeader', { platform: t('brand'), site: window.location.host, account, date: formatDate(Date.now()) })}
      </p>
      <ol className="codes print-codes" aria-label={t('codes.title')} data-backup-codes>
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="actions">
        <button type="button" onClick={save}>
          {t('codes.save')}
        </button>
        <button type="button" onClick={print}>
          {t('codes.print')}
        </button>
        <button type="button" data-action="copy-codes" onClick={() => void copy()}>
          {t('codes.copy')}
        </button>
      </div>
      {copied && <p role="status">{t('codes.copied')}</p>}
      {copyFailed && <p role="alert">{t('errors.clipboard')}</p>}
      <button
        type="button"
        className="primary"
        data-action="confirm-codes"
        disabled={!saved}
        aria-describedby={saved ? undefined : 'codes-wait'}
        onClick={onConfirmed}
      >
        {t('codes.confirm')}
      </button>
      {!saved && (
        <p id="codes-wait" className="hint">
          {t('codes.why')}
        </p>
      )}
    </section>
  );
}
