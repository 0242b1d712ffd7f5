// Password and account security → Delete account (when the Authentication settings allow owners to):
// what goes, then a confirmation that asks for the account's email. The server asks for a step-up
// (the dialog comes up) and signs this browser out; the sign-in page then says the account is gone.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SessionAnswer, User } from '../../../src/shared/api-types';
import { api } from '../api';
import { leaveSignedOutNotice } from '../signed-out-notice';
import { useAction } from '../use-form-submit';
import { useLoad } from '../use-load';
import { ConfirmDialog } from './ConfirmDialog';
import { ErrorAlert } from './ErrorAlert';

export function DeleteAccount({ user, onChanged }: { user: User; onChanged: () => Promise<void> }) {
  const { t } = useTranslation();
  const session = useLoad(() => api<SessionAnswer>('GET', '/api/session'));
  const [asking, setAsking] = useState(false);
  const action = useAction();

  const remove = (typed: string) =>
    void action.run(async () => {
      await api('POST', '/api/me/delete', { email: typed });
      leaveSignedOutNotice('accountDeleted');
      // Asked again, the server says nobody is signed in: the shell shows the sign-in page.
      await onChanged();
    });

  if (!session.data) return <ErrorAlert error={session.error} />;
  return (
    <section aria-labelledby="delete-account-title" data-delete-account>
      <h2 id="delete-account-title">{t('deletion.deleteAccount')}</h2>
      {session.data.canDeleteAccount ? (
        <>
          <p>{t('deletion.explain')}</p>
          <p className="hint">{t('deletion.notUndone')}</p>
          <ErrorAlert error={action.error} />
          <button type="button" className="danger" disabled={action.busy} onClick={() => setAsking(true)}>
            {t('deletion.deleteAccount')}
          </button>
        </>
      ) : (
        <p>{t('deletion.notAllowed')}</p>
      )}
      {asking && (
        <ConfirmDialog
          confirmation={{
            title: t('deletion.deleteYours'),
            text: t('deletion.confirmSelf'),
            confirm: t('deletion.deleteAccount'),
            danger: true,
            typeEmail: { label: t('deletion.typeYourEmail', { email: user.email }), expected: user.email },
            run: remove,
          }}
          onClose={() => setAsking(false)}
        />
      )}
    </section>
  );
}
