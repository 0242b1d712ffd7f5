// Users (administrators): search, paging, a 2FA mark, lock and block states, and a row menu.
// Nothing here can enable 2FA for someone else: only its owner can.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AdminPasswordResetAnswer, AdminUser, Role, UserPage } from '../../../src/shared/api-types';
import { api } from '../api';
import { ClockNotice } from '../components/ClockNotice';
import { ErrorAlert } from '../components/ErrorAlert';
import { useAction, useFormSubmit } from '../use-form-submit';

export function UsersPage() {
  const { t } = useTranslation();
  const [users, setUsers] = useState<AdminUser[]>([]);
  const [query, setQuery] = useState('');
  const [cursor, setCursor] = useState<string | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [openMenu, setOpenMenu] = useState<string | null>(null);

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
  const [resetNotice, setResetNotice] = useState<{ email: string; link: string | null } | null>(null);
  const act = async (work: () => Promise<unknown>) => {
    setOpenMenu(null);
    setResetNotice(null);
    setLoadError(null);
    await action.run(async () => {
      await work();
      await load(query, cursor);
    });
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
      {resetNotice && (
        <div role="status" className="notice">
          <p>{resetNotice.link ? t('users.resetLink', { email: resetNotice.email }) : t('users.resetSent', { email: resetNotice.email })}</p>
          {resetNotice.link && <input readOnly value={resetNotice.link} aria-label={t('users.resetLink', { email: resetNotice.email })} onFocus={(e) => e.target.select()} />}
        </div>
      )}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('users.email')}</th>
              <th scope="col">{t('users.role')}</th>
              <th scope="col">{t('users.status')}</th>
              <th scope="col">{t('users.lastSignIn')}</th>
              <th scope="col">{t('users.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {users.length === 0 && (
              <tr>
                <td colSpan={5}>{t('users.none')}</td>
              </tr>
            )}
            {users.map((u) => (
              <tr key={u.id}>
                <td>
                  {u.email}{' '}
                  {u.twoFactorEnabled && (
                    <span className="badge" title={t('account.twoFactor')}>
                      {t('users.mark2fa')}
                    </span>
                  )}
                  {u.factors.length > 0 && <span className="hint factors"> {u.factors.map((f) => t(`users.factor.${f}`)).join(', ')}</span>}
                </td>
                <td>{u.role === 'admin' ? t('users.roleAdmin') : t('users.roleUser')}</td>
                <td>
                  {u.blocked ? <span className="badge danger">{t('users.blocked')}</span> : null}
                  {u.lockedPermanently ? (
                    <span className="badge danger">{t('users.lockedPermanently')}</span>
                  ) : u.lockedUntil ? (
                    <span className="badge warning">{t('users.locked')}</span>
                  ) : null}
                  {u.twoFactorOverdue ? <span className="badge danger">{t('users.overdue')}</span> : u.twoFactorRequired && !u.twoFactorEnabled ? <span className="badge warning">{t('users.required')}</span> : null}
                  {!u.blocked && !u.lockedUntil && !u.lockedPermanently ? t('users.active') : null}
                </td>
                <td>{u.lastSignInAt ? new Date(u.lastSignInAt).toLocaleString() : t('users.never')}</td>
                <td className="menu">
                  <button type="button" aria-haspopup="menu" aria-expanded={openMenu === u.id} aria-label={t('users.menu', { email: u.email })} onClick={() => setOpenMenu(openMenu === u.id ? null : u.id)}>
                    ⋯
                  </button>
                  {openMenu === u.id && (
                    <ul role="menu" className="menu-list">
                      {u.twoFactorEnabled && (
                        <li role="none">
                          <button
                            type="button"
                            role="menuitem"
                            onClick={() => {
                              if (window.confirm(t('users.confirmDisable2fa', { email: u.email }))) void act(() => api('POST', `/api/admin/users/${u.id}/2fa/disable`));
                              else setOpenMenu(null);
                            }}
                          >
                            {t('users.disable2fa')}
                          </button>
                        </li>
                      )}
                      {(u.lockedUntil || u.lockedPermanently) && (
                        <li role="none">
                          <button type="button" role="menuitem" onClick={() => void act(() => api('POST', `/api/admin/users/${u.id}/unlock`))}>
                            {t('users.unlock')}
                          </button>
                        </li>
                      )}
                      <li role="none">
                        <button type="button" role="menuitem" onClick={() => void act(() => api('POST', `/api/admin/users/${u.id}/sessions/end`))}>
                          {t('users.endSessions')}
                        </button>
                      </li>
                      <li role="none">
                        <button
                          type="button"
                          role="menuitem"
                          onClick={() =>
                            void act(async () => {
                              const answer = await api<AdminPasswordResetAnswer>('POST', `/api/admin/users/${u.id}/password-reset`);
                              setResetNotice('link' in answer ? { email: u.email, link: answer.link } : { email: u.email, link: null });
                            })
                          }
                        >
                          {t('users.sendReset')}
                        </button>
                      </li>
                      <li role="none">
                        <button type="button" role="menuitem" onClick={() => void act(() => api('PATCH', `/api/admin/users/${u.id}`, { blocked: !u.blocked }))}>
                          {u.blocked ? t('users.unblock') : t('users.block')}
                        </button>
                      </li>
                    </ul>
                  )}
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
      <input id="new-email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
      <label htmlFor="new-user-password">{t('users.password')}</label>
      <input id="new-user-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} required minLength={10} maxLength={256} />
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
