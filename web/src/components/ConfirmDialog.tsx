// A question asked in the page (never window.confirm): an alertdialog that holds the focus,
// answers Esc as Cancel, and gives the focus back to whatever opened it. For what cannot be undone
// (deleting an account) it can ask for a text to be typed first, as GitHub asks for a repository's
// name: the confirm button stays disabled until the text matches.
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { emailInput } from '../email-input';

export interface Confirmation {
  title: string;
  text: string;
  confirm: string;
  danger?: boolean;
  /** An email to type before confirming (an account's), compared as the server compares emails. */
  typeEmail?: { label: string; expected: string };
  /** Called with what was typed (empty without typeEmail). */
  run: (typed: string) => void;
}

/** NFKC, lower case, trimmed: the server's normalizeEmail, so what the server would accept unlocks the button. */
function sameEmail(typed: string, expected: string): boolean {
  const normal = (value: string) => value.normalize('NFKC').toLowerCase().trim();
  return normal(typed) === normal(expected);
}

export function ConfirmDialog({ confirmation, onClose }: { confirmation: Confirmation; onClose: () => void }) {
  const { t } = useTranslation();
  const cancelRef = useRef<HTMLButtonElement>(null);
  const typedRef = useRef<HTMLInputElement>(null);
  const returnTo = useRef<Element | null>(document.activeElement);
  const [typed, setTyped] = useState('');
  const ask = confirmation.typeEmail;
  const allowed = !ask || sameEmail(typed, ask.expected);
  const confirm = () => {
    if (!allowed) return;
    onClose();
    confirmation.run(typed);
  };

  useEffect(() => {
    (typedRef.current ?? cancelRef.current)?.focus();
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
            // Keep the focus inside the dialog: the field to type in, if any, and the buttons that work.
            const stops = Array.from(event.currentTarget.querySelectorAll<HTMLElement>('input, button:not(:disabled)'));
            const i = stops.indexOf(document.activeElement as HTMLElement);
            event.preventDefault();
            stops[(i + (event.shiftKey ? stops.length - 1 : 1)) % stops.length]?.focus();
          }
        }}
      >
        <h2 id="confirm-title">{confirmation.title}</h2>
        <p id="confirm-text">{confirmation.text}</p>
        {ask && (
          <>
            <label htmlFor="confirm-typed">{ask.label}</label>
            <input
              id="confirm-typed"
              ref={typedRef}
              {...emailInput('off')}
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              onKeyDown={(e) => e.key === 'Enter' && confirm()}
            />
          </>
        )}
        <div className="actions">
          <button type="button" className={confirmation.danger ? 'danger' : 'primary'} disabled={!allowed} onClick={confirm}>
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
