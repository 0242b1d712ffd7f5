// Sign-in, second step by security key (first when the account has one): the browser's dialog;
// a code from the app or a backup code are the alternatives.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

export function KeyStep(props: {
  alert: ReactNode;
  disabled: boolean;
  onUseKey: () => void;
  /** The account has the app too. */
  hasApp: boolean;
  onUseCode: () => void;
  onStartOver: () => void;
}) {
  const { t } = useTranslation();
  return (
    <section className="card narrow">
      <h1>{t('signIn.codeTitle')}</h1>
      <p>{t('keys.signInHelp')}</p>
      {props.alert}
      <button type="button" className="primary" disabled={props.disabled} onClick={props.onUseKey}>
        {t('keys.useKey')}
      </button>
      {props.hasApp && (
        <button type="button" className="link" onClick={props.onUseCode}>
          {t('keys.useApp')}
        </button>
      )}
      <button type="button" className="link" onClick={props.onUseCode}>
        {t('keys.useBackup')}
      </button>
      <button type="button" className="link" onClick={props.onStartOver}>
        {t('signIn.startOver')}
      </button>
    </section>
  );
}
