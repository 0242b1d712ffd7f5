// The two links of an email change: /email-change?token=… (mailed to the new address) confirms it,
// /email-change/undo?token=… (mailed to the old one) undoes it and signs everyone out. Each acts on
// a button press, never on load: a mail scanner that fetches the link changes nothing.
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { EmailChangeDone } from '../../../src/shared/api-types';
import { api, ApiError } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { Link } from '../components/Link';
import { useFormSubmit } from '../use-form-submit';

/** The shape of a link's token (43 base64url characters): anything else is not worth a request. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

interface TokenPageProps {
  title: string;
  intro: string;
  button: string;
  path: '/api/email-change/confirm' | '/api/email-change/undo';
  /** What follows an error: the way on, for the reasons that have one. */
  afterError: (code: string) => ReactNode;
  done: (email: string) => ReactNode;
  /** After success: the shell asks the server again who is signed in. */
  onDone: () => Promise<void>;
}

function TokenPage({ title, intro, button, path, afterError, done, onDone }: TokenPageProps) {
  const { t } = useTranslation();
  const [token] = useState(() => new URLSearchParams(window.location.search).get('token') ?? '');
  const [email, setEmail] = useState<string | null>(null);
  const { submit, error, busy } = useFormSubmit(async () => {
    const answer = await api<EmailChangeDone>('POST', path, { token });
    setEmail(answer.email);
    await onDone();
  });
  const malformed = !TOKEN.test(token);
  const code = malformed ? 'invalid_email_change' : error instanceof ApiError ? error.code : null;
  return (
    <section className="card narrow">
      <h1>{title}</h1>
      {email !== null ? (
        done(email)
      ) : (
        <>
          {malformed ? (
            <p role="alert" className="error">
              {t('errors.invalid_email_change')}
            </p>
          ) : (
            <form onSubmit={submit}>
              <p>{intro}</p>
              <ErrorAlert error={error} />
              <button type="submit" className="primary" disabled={busy}>
                {button}
              </button>
            </form>
          )}
          {code && afterError(code)}
          <p>
            <Link to="/sign-in">{t('reset.backToSignIn')}</Link>
          </p>
        </>
      )}
    </section>
  );
}

export function EmailChangeConfirmPage({ onDone }: { onDone: () => Promise<void> }) {
  const { t } = useTranslation();
  return (
    <TokenPage
      title={t('emailChange.confirmTitle')}
      intro={t('emailChange.confirmIntro')}
      button={t('emailChange.confirm')}
      path="/api/email-change/confirm"
      onDone={onDone}
      afterError={(code) => code !== 'rate_limited' && <p>{t('emailChange.askAgain')}</p>}
      done={(email) => (
        <>
          <p role="status">{t('emailChange.confirmed', { email })}</p>
          {/* A full page load: the shell asks the server again who is signed in. */}
          <a href="/account">{t('reset.continue')}</a>
        </>
      )}
    />
  );
}

export function EmailChangeUndoPage({ onDone }: { onDone: () => Promise<void> }) {
  const { t } = useTranslation();
  return (
    <TokenPage
      title={t('emailChange.undoTitle')}
      intro={t('emailChange.undoIntro')}
      button={t('emailChange.undo')}
      path="/api/email-change/undo"
      onDone={onDone}
      afterError={(code) => code === 'email_change_expired' && <p>{t('emailChange.undoLate')}</p>}
      done={(email) => (
        <>
          <p role="status">{t('emailChange.undone', { email })}</p>
          <p>{t('emailChange.undoneAdvice')}</p>
          <p>
            <Link to="/forgot-password">{t('emailChange.choosePassword')}</Link>
          </p>
          <p>
            <Link to="/sign-in">{t('reset.backToSignIn')}</Link>
          </p>
        </>
      )}
    />
  );
}
