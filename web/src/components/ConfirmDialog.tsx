// A question asked in the page (never window.confirm): an alertdialog that holds the focus,
// answers Esc as Cancel, and gives the focus back to whatever opened it.
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';

export interface Confirmation {
  title: string;
  text: string;
  confirm: string;
  danger?: boolean;
  run: () => void;
}

export function ConfirmDialog({ confirmation, onClose }: { confirmation: Confirmation; onClose: () => void }) {
  const { t } = useTranslation();
  const cancelRef = useRef<HTMLButtonElement>(null);
  const returnTo = useRef<Element | null>(document.activeElement);

  useEffect(() => {
    cancelRef.current?.focus();
    const back = returnTo.current;
    return () => {
      if (back instanceof HTMLElement && back.isConnected) back.focus();
    };
  }, []);

  return (
    <div className="dialog-backdrop">
      <div
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="confirm-title"
        aria-describedby="confirm-text"
        className="card narrow dialog"
        onKeyDown={(event) => {
          if (event.key === 'Escape') onClose();
          if (event.key === 'Tab') {
            // Keep the focus inside the two buttons.
            const buttons = Array.from(event.currentTarget.querySelectorAll('button'));
            const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
            event.preventDefault();
            buttons[(i + (event.shiftKey ? buttons.length - 1 : 1)) % buttons.length]?.focus();
          }
        }}
      >
        <h2 id="confirm-title">{confirmation.title}</h2>
        <p id="confirm-text">{confirmation.text}</p>
        <div className="actions">
          <button
            type="button"
            className={confirmation.danger ? 'danger' : 'primary'}
            onClick={() => {
              onClose();
              confirmation.run();
            }}
          >
            {confirmation.confirm}
          </button>
          <button type="button" ref={cancelRef} onClick={onClose}>
            {t('account.cancel')}
          </button>
        </div>
      </div>
    </div>
  );
}
