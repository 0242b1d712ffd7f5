// Invitations (administrators): invite one person or a list (one per line: an email, or CSV
// `email, name, groups, role`), into groups, with a role and with 2FA required from the first
// sign-in; the list of invitations waiting and recently ended, each re-sent or withdrawn. Sending
// asks for a step-up (api.ts opens the dialog). Without a mail server the links are shown here.
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AccountLocale, Invitation, Role, SentInvitation } from '../../../src/shared/api-types';
import { api } from '../api';
import { ConfirmDialog, type Confirmation } from '../components/ConfirmDialog';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatDateTime } from '../format';
import { useAction, useFormSubmit } from '../use-form-submit';
import { useLoad } from '../use-load';

interface Answered {
  invitations: SentInvitation[];
  mailed: boolean;
}

export function InvitationsPage() {
  const { t, i18n } = useTranslation();
  const list = useLoad(() => api<{ invitations: Invitation[]; mailed: boolean }>('GET', '/api/admin/invitations'));
  const [people, setPeople] = useState('');
  const [groups, setGroups] = useState('');
  const [role, setRole] = useState<Role>('user');
  const [requireTwoFactor, setRequireTwoFactor] = useState(false);
  const [locale, setLocale] = useState<AccountLocale>(i18n.resolvedLanguage === 'es' ? 'es' : 'en');
  const [notice, setNotice] = useState<string | null>(null);
  const [links, setLinks] = useState<SentInvitation[]>([]);
  const [confirmation, setConfirmation] = useState<Confirmation | null>(null);
  const noticeRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);
  const action = useAction();

  /** After a change: the list as it is now, then what happened (and any links that were not mailed). */
  const changed = async (done: string, answered: SentInvitation[] = []) => {
    await list.reload();
    setLinks(answered.filter((i) => i.link));
    setNotice(done);
  };

  const { submit, error, busy } = useFormSubmit(async () => {
    setNotice(null);
    const body = { list: people, groups: groups.split(/[\s,;]+/).filter((g) => g !== ''), role, requireTwoFactor, locale };
    const answer = await api<Answered>('POST', '/api/admin/invitations', body);
    setPeople('');
    await changed(t('invitations.sent', { count: answer.invitations.length }), answer.invitations);
  });

  const invitations = list.data?.invitations ?? [];
  return (
    <section className="card wide">
      <h1>{t('invitations.title')}</h1>
      <p>{t('invitations.intro')}</p>
      {list.data && !list.data.mailed && <p className="warning">{t('invitations.noMail')}</p>}
      {notice && (
        <p role="status" ref={noticeRef} tabIndex={-1}>
          {notice}
        </p>
      )}
      {links.length > 0 && (
        <ul aria-label={t('invitations.links')} className="links">
          {links.map((i) => (
            <li key={i.id}>
              {i.email}: <code>{i.link}</code>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={submit} aria-labelledby="invite-title">
        <h2 id="invite-title">{t('invitations.invite')}</h2>
        <label htmlFor="invite-people">{t('invitations.people')}</label>
        <p className="hint" id="invite-people-help">
          {t('invitations.peopleHelp')}
        </p>
        <textarea
          id="invite-people"
          aria-describedby="invite-people-help"
          rows={5}
          value={people}
          onChange={(e) => setPeople(e.target.value)}
          required
          spellCheck={false}
          autoCapitalize="none"
        />
        <label htmlFor="invite-groups">{t('invitations.groups')}</label>
        <input id="invite-groups" type="text" value={groups} onChange={(e) => setGroups(e.target.value)} autoCapitalize="none" spellCheck={false} />
        <label htmlFor="invite-role">{t('invitations.role')}</label>
        <select id="invite-role" value={role} onChange={(e) => setRole(e.target.value === 'admin' ? 'admin' : 'user')}>
          <option value="user">{t('users.roleUser')}</option>
          <option value="admin">{t('users.roleAdmin')}</option>
        </select>
        <label htmlFor="invite-language">{t('invitations.language')}</label>
        <select id="invite-language" value={locale} onChange={(e) => setLocale(e.target.value === 'es' ? 'es' : 'en')}>
          <option value="en">English</option>
          <option value="es">Español</option>
        </select>
        <label className="checkbox">
          <input type="checkbox" checked={requireTwoFactor} onChange={(e) => setRequireTwoFactor(e.target.checked)} />
          {t('invitations.require2fa')}
        </label>
        <ErrorAlert error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {t('invitations.send')}
        </button>
      </form>

      <h2>{t('invitations.listTitle')}</h2>
      <ErrorAlert error={list.error ?? action.error} />
      <div className="table-wrap">
        <table className="cards" aria-label={t('invitations.listTitle')}>
          <thead>
            <tr>
              <th scope="col">{t('signIn.email')}</th>
              <th scope="col">{t('invitations.state')}</th>
              <th scope="col">{t('invitations.details')}</th>
              <th scope="col">{t('groups.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {invitations.length === 0 && (
              <tr>
                <td colSpan={4}>{t('invitations.none')}</td>
              </tr>
            )}
            {invitations.map((i) => (
              <tr key={i.id} data-invitation={i.email}>
                <td data-label={t('signIn.email')}>
                  {i.email}
                  {i.displayName && <span className="muted"> ({i.displayName})</span>}
                </td>
                <td data-label={t('invitations.state')} data-state={i.state}>
                  {t(`invitations.states.${i.state}`, {
                    at: formatDateTime(i.state === 'accepted' ? i.acceptedAt! : i.state === 'revoked' ? i.revokedAt! : i.expiresAt),
                  })}
                </td>
                <td data-label={t('invitations.details')}>
                  {[
                    i.role === 'admin' ? t('users.roleAdmin') : t('users.roleUser'),
                    i.groups.length > 0 ? t('invitations.inGroups', { groups: i.groups.join(', ') }) : null,
                    i.requireTwoFactor ? t('invitations.with2fa') : null,
                  ]
                    .filter(Boolean)
                    .join(' · ')}
                </td>
                <td data-label={t('groups.actions')}>
                  {(i.state === 'pending' || i.state === 'expired') && (
                    <span className="actions">
                      <button
                        type="button"
                        aria-label={t('invitations.resendTo', { email: i.email })}
                        onClick={() =>
                          void action.run(async () => {
                            setNotice(null);
                            const answer = await api<{ invitation: SentInvitation }>('POST', `/api/admin/invitations/${encodeURIComponent(i.id)}/resend`);
                            await changed(t('invitations.resent', { email: i.email }), [answer.invitation]);
                          })
                        }
                      >
                        {t('invitations.resend')}
                      </button>
                      <button
                        type="button"
                        className="danger"
                        aria-label={t('invitations.revokeFor', { email: i.email })}
                        onClick={() =>
                          setConfirmation({
                            title: t('invitations.revoke'),
                            text: t('invitations.revokeConfirm', { email: i.email }),
                            confirm: t('invitations.revoke'),
                            danger: true,
                            run: () => {
                              setNotice(null);
                              void action.run(async () => {
                                await api('DELETE', `/api/admin/invitations/${encodeURIComponent(i.id)}`);
                                await changed(t('invitations.revoked', { email: i.email }));
                              });
                            },
                          })
                        }
                      >
                        {t('invitations.revoke')}
                      </button>
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {confirmation && <ConfirmDialog confirmation={confirmation} onClose={() => setConfirmation(null)} />}
    </section>
  );
}
