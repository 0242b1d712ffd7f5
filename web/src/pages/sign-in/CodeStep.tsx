// Sign-in, second step by code: from the app, or a backup code (which gets the full keyboard).
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { CodeField } from '../../components/CodeField';

export function CodeStep(props: {
  code: string;
  onCode: (code: string) => void;
  onSubmit: (event: FormEvent) => void;
  disabled: boolean;
  alert: ReactNode;
  /** The account has a security key: offer it instead. */
  onUseKey: (() => void) | null;
  onStartOver: () => void;
}) {
  const { t } = useTranslation();
  // App codes get a numeric keyboard; a backup code (letters and digits) needs the full one.
  const [useBackup, setUseBackup] = useState(false);
  const codeRef = useRef<HTMLInputElement>(null);
  useEffect(() => codeRef.current?.focus(), []);

  return (
    <section className="card narrow">
      <h1>{t('signIn.codeTitle')}</h1>
      <p>{t('signIn.codeHelp')}</p>
      <form onSubmit={props.onSubmit}>
        <CodeField
          id="code"
          label={t('signIn.code')}
          kind="any"
          ref={codeRef}
          value={props.code}
          onChange={props.onCode}
          inputMode={useBackup ? 'text' : 'numeric'}
        />
        <button
          type="button"
          className="link"
          aria-pressed={useBackup}
          onClick={() => {
            setUseBackup(!useBackup);
            codeRef.current?.focus();
          }}
        >
          {useBackup ? t('signIn.useAppCode') : t('signIn.useBackupCode')}
        </button>
        {props.alert}
        <button type="submit" className="primary" disabled={props.disabled}>
          {t('signIn.verify')}
        </button>
        {props.onUseKey && (
          <button type="button" className="link" onClick={props.onUseKey}>
            {t('keys.useKeyInstead')}
          </button>
        )}
        <button type="button" className="link" onClick={props.onStartOver}>
          {t('signIn.startOver')}
        </button>
      </form>
    </section>
  );
}
