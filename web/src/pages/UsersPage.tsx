// Users (administrators): search, paging, a 2FA mark, the groups, lock and block states, and a row menu
// (a popover; cards on a phone); block, role change and 2FA removal are confirmed in the page.
// Nothing here can enable 2FA for someone else: only its owner can.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AdminPasswordResetAnswer, AdminUser, Role, User, UserPage } from '../../../src/shared/api-types';
import { api } from '../api';
import { ClockNotice } from '../components/ClockNotice';
import { ErrorAlert } from '../components/ErrorAlert';
import { useAction, useFormSubmit } from '../use-form-submit';
import { ConfirmDialog, type Confirmation } from '../components/ConfirmDialog';
import { RowMenu, type MenuItem } from '../components/RowMenu';
import { formatDateTime } from '../format';
import { PasswordField } from '../components/PasswordField';
import { emailInput } from '../email-input';
import { NameFields, nameOf } from '../components/NameFields';

export function UsersPage({ me }: { me: User }) {
  const { t } = useTranslation();
  const [users, setUsers] = useState<AdminUser[]>([]);
  const [query, setQuery] = useState('');
  const [cursor, setCursor] = useState<string | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [confirmation, setConfirmation] = useState<Confirmation | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  /** The user whose names are being edited (Edit name), if any. */
  const [naming, setNaming] = useState<AdminUser | null>(null);
  const noticeRef = useRef<HTMLParagraphElement>(null);

  const load = useCallback(async (q: string, c: string | null) => {
    const params = new URLSearchParams({ limit: '20' });
    if (q) params.set('q', q);
    if (c) params.set('cursor', c);
    const result = await api<UserPage>('GET', `/api/admin/users?${params}`);
    setUsers(result.users);
    setNextCursor(result.nextCursor);
  }, []);

  useEffect(() => {
    const timer = setTimeout(() => void load(query, cursor).catch(setLoadError), 200);
    return () => clearTimeout(timer);
  }, [load, query, cursor]);

  // A row's menu item; starting one clears whatever the alert showed, a failed list load included.
  const action = useAction();
  const [resetLink, setResetLink] = useState<{ email: string; link: string } | null>(null);
  const act = async (work: () => Promise<unknown>, done: string) => {
    setLoadError(null);
    setNotice(null);
    await action.run(async () => {
      await work();
      // The list first, then what changed: whoever reads the notice reads the list as it now is.
      await load(query, cursor);
      setNotice(done);
    });
  };
  // The result of each action takes the focus, so a screen reader hears it.
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);

  // A password reset is mailed, or (no mail server configured) its link is shown to pass on.
  const sendReset = (u: AdminUser) => {
    setLoadError(null);
    setNotice(null);
    setResetLink(null);
    void action.run(async () => {
      const answer = await api<AdminPasswordResetAnswer>('POST', `/api/admin/users/${u.id}/password-reset`);
      if ('link' in answer) setResetLink({ email: u.email, link: answer.link });
      setNotice('link' in answer ? t('users.resetLink', { email: u.email }) : t('users.resetSent', { email: u.email }));
    });
  };

  const itemsFor = (u: AdminUser): MenuItem[] => {
    const self = u.id === me.id;
    const items: MenuItem[] = [];
    // A self-registered account waiting for approval (Authentication settings): the first thing to decide.
    if (u.awaitingApproval)
      items.push({
        label: t('users.approve'),
        run: () => void act(() => api('POST', `/api/admin/users/${u.id}/approve`), t('users.doneApproved', { email: u.email })),
      });
    if (u.twoFactorEnabled)
      items.push({
        label: t('users.disable2fa'),
        run: () =>
          setConfirmation({
            title: t('users.disable2fa'),
            text: t('users.confirmDisable2fa', { email: u.email }),
            confirm: t('users.disable2faConfirm'),
            danger: true,
            run: () => void act(() => api('POST', `/api/admin/users/${u.id}/2fa/disable`), t('users.done2faOff', { email: u.email })),
          }),
      });
    if (u.lockedUntil || u.lockedPermanently)
      items.push({
        label: t('users.unlock'),
        run: () => void act(() => api('POST', `/api/admin/users/${u.id}/unlock`), t('users.doneUnlocked', { email: u.email })),
      });
    items.push({
      label: t('users.editName'),
      run: () => {
        setNotice(null);
        setNaming(u);
      },
    });
    // A reset signs in, which approval has not allowed yet (the server refuses it too).
    if (!u.awaitingApproval) items.push({ label: t('users.sendReset'), run: () => sendReset(u) });
    items.push({
      label: t('users.endSessions'),
      run: () => void act(() => api('POST', `/api/admin/users/${u.id}/sessions/end`), t('users.doneSessions', { email: u.email })),
    });
    // Nobody blocks or demotes themselves (the server refuses it too: cannot_change_self).
    if (!self) {
      const role: Role = u.role === 'admin' ? 'user' : 'admin';
      items.push({
        label: u.role === 'admin' ? t('users.makeUser') : t('users.makeAdmin'),
        run: () =>
          setConfirmation({
            title: u.role === 'admin' ? t('users.makeUser') : t('users.makeAdmin'),
            text: t(u.role === 'admin' ? 'users.confirmMakeUser' : 'users.confirmMakeAdmin', { email: u.email }),
            confirm: t('users.changeRole'),
            run: () => void act(() => api('PATCH', `/api/admin/users/${u.id}`, { role }), t('users.doneRole', { email: u.email })),
          }),
      });
      items.push({
        label: u.blocked ? t('users.unblock') : t('users.block'),
        run: () =>
          u.blocked
            ? void act(() => api('PATCH', `/api/admin/users/${u.id}`, { blocked: false }), t('users.doneUnblocked', { email: u.email }))
            : setConfirmation({
                title: t('users.block'),
                text: t('users.confirmBlock', { email: u.email }),
                confirm: t('users.block'),
                danger: true,
                run: () => void act(() => api('PATCH', `/api/admin/users/${u.id}`, { blocked: true }), t('users.doneBlocked', { email: u.email })),
              }),
      });
      // Last, apart from the rest: it cannot be undone, so the account's email is typed to confirm it
      // (an administrator's own account is deleted from their security page, when allowed).
      items.push({
        label: t('deletion.deleteAccount'),
        run: () =>
          setConfirmation({
            title: t('deletion.deleteAccountOf', { email: u.email }),
            text: t('deletion.confirmAdmin', { email: u.email }),
            confirm: t('deletion.deleteAccount'),
            danger: true,
            typeEmail: { label: t('deletion.typeEmail', { email: u.email }), expected: u.email },
            run: (typed) => void act(() => api('POST', `/api/admin/users/${u.id}/delete`, { email: typed }), t('deletion.doneAdmin', { email: u.email })),
          }),
      });
    }
    return items;
  };

  return (
    <section className="card wide">
      <h1>{t('users.title')}</h1>
      <ClockNotice />
      <label htmlFor="user-search">{t('users.search')}</label>
      <input
        id="user-search"
        type="search"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setCursor(null);
        }}
      />
      <ErrorAlert error={loadError ?? action.error} />
      {notice && (
        <p role="status" ref={noticeRef} tabIndex={-1}>
          {notice}
        </p>
      )}
      {naming && (
        <section aria-labelledby="edit-name-title" className="edit-name">
          <h2 id="edit-name-title">{t('users.nameOf', { email: naming.email })}</h2>
          <NameFields
            key={naming.id}
            id="edit-name"
            initial={naming}
            onCancel={() => setNaming(null)}
            onSave={async (names) => {
              await api('PUT', `/api/admin/users/${naming.id}/profile`, names);
              setNaming(null);
              setNotice(t('users.nameSaved', { email: naming.email }));
              await load(query, cursor);
            }}
          />
        </section>
      )}
      {resetLink && <input readOnly value={resetLink.link} aria-label={t('users.resetLink', { email: resetLink.email })} onFocus={(e) => e.target.select()} />}
      <div className="table-wrap">
        <table className="cards">
          <thead>
            <tr>
              <th scope="col">{t('users.email')}</th>
              <th scope="col">{t('users.role')}</th>
              <th scope="col">{t('users.groups')}</th>
              <th scope="col">{t('users.status')}</th>
              <th scope="col">{t('users.lastSignIn')}</th>
              <th scope="col">{t('users.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {users.length === 0 && (
              <tr>
                <td colSpan={6}>{t('users.none')}</td>
              </tr>
            )}
            {users.map((u) => (
              <tr key={u.id} data-user={u.email}>
                <td data-label={t('users.email')}>
                  {nameOf(u) && (
                    <>
                      <strong className="user-name">{nameOf(u)}</strong>{' '}
                    </>
                  )}
                  {u.email}{' '}
                  {u.twoFactorEnabled && (
                    <span className="badge" title={t('account.twoFactor')}>
                      {t('users.mark2fa')}
                    </span>
                  )}
                  {u.id === me.id && <span className="badge">{t('users.you')}</span>}
                  {u.factors.length > 0 && <span className="hint factors"> {u.factors.map((f) => t(`users.factor.${f}`)).join(', ')}</span>}
                </td>
                <td data-label={t('users.role')}>{u.role === 'admin' ? t('users.roleAdmin') : t('users.roleUser')}</td>
                <td data-label={t('users.groups')} data-groups={u.groups.join(',')}>
                  {u.groups.join(', ')}
                </td>
                <td data-label={t('users.status')}>
                  {u.blocked ? <span className="badge danger">{t('users.blocked')}</span> : null}
                  {u.awaitingApproval ? <span className="badge warning">{t('users.awaitingApproval')}</span> : null}
                  {u.lockedPermanently ? (
                    <span className="badge danger">{t('users.lockedPermanently')}</span>
                  ) : u.lockedUntil ? (
                    <span className="badge warning">{t('users.locked')}</span>
                  ) : null}
                  {u.twoFactorOverdue ? (
                    <span className="badge danger">{t('users.overdue')}</span>
                  ) : u.twoFactorRequired && !u.twoFactorEnabled ? (
                    <span className="badge warning">{t('users.required')}</span>
                  ) : null}
                  {!u.blocked && !u.awaitingApproval && !u.lockedUntil && !u.lockedPermanently ? t('users.active') : null}
                </td>
                <td data-label={t('users.lastSignIn')}>{u.lastSignInAt ? formatDateTime(u.lastSignInAt) : t('users.never')}</td>
                <td data-label={t('users.actions')} className="menu">
                  <RowMenu label={t('users.menu', { email: u.email })} items={itemsFor(u)}>
                    <span aria-hidden="true">⋯</span>
                  </RowMenu>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="actions">
        {cursor && (
          <button type="button" onClick={() => setCursor(null)}>
            {t('users.first')}
          </button>
        )}
        {nextCursor && (
          <button type="button" onClick={() => setCursor(nextCursor)}>
            {t('users.next')}
          </button>
        )}
      </div>
      <CreateUser onCreated={() => load(query, cursor)} />
      {confirmation && <ConfirmDialog confirmation={confirmation} onClose={() => setConfirmation(null)} />}
    </section>
  );
}

function CreateUser({ onCreated }: { onCreated: () => Promise<void> }) {
  const { t } = useTranslation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('user');
  const { submit, error, done } = useFormSubmit(async () => {
    await api('POST', '/api/admin/users', { email, password, role });
    setEmail('');
    setPassword('');
    await onCreated();
  });

  return (
    <form onSubmit={submit} aria-labelledby="create-title">
      <h2 id="create-title">{t('users.create')}</h2>
      <label htmlFor="new-email">{t('users.email')}</label>
      <input id="new-email" {...emailInput('off')} value={email} onChange={(e) => setEmail(e.target.value)} required />
      <PasswordField id="new-user-password" label={t('users.password')} purpose="new" value={password} onChange={setPassword} />
      <label htmlFor="new-role">{t('users.role')}</label>
      <select id="new-role" value={role} onChange={(e) => setRole(e.target.value === 'admin' ? 'admin' : 'user')}>
        <option value="user">{t('users.roleUser')}</option>
        <option value="admin">{t('users.roleAdmin')}</option>
      </select>
      <ErrorAlert error={error} />
      {done && <p role="status">{t('users.created')}</p>}
      <button type="submit">{t('users.create')}</button>
    </form>
  );
}
