// Groups (administrators): the list by name with member counts, a group opened to see and change
// its members, rename and delete (refused with group_in_use while a rule or an OpenID Connect
// application names it). Every change asks for a step-up first (api.ts opens the dialog).
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Group, GroupDetail } from '../../../src/shared/api-types';
import { api } from '../api';
import { ConfirmDialog, type Confirmation } from '../components/ConfirmDialog';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatDateTime } from '../format';
import { useAction, useFormSubmit } from '../use-form-submit';
import { useLoad } from '../use-load';
import { emailInput } from '../email-input';

const PAGE = 100;
/** The server's rule (access.validation.ts groupName), checked by the browser first. */
const GROUP_NAME = '[a-z0-9_\\-]{1,64}';

export function GroupsPage() {
  const { t } = useTranslation();
  // Paging by name: `after` is the last name of the page before.
  const [after, setAfter] = useState<string | null>(null);
  const list = useLoad(async () => {
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (after) params.set('after', after);
    return (await api<{ groups: Group[] }>('GET', `/api/admin/groups?${params}`)).groups;
  }, after ?? '');
  const groups = list.data ?? [];
  const [openId, setOpenId] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const noticeRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);

  /** After a change: show the counts as they are now, then say what happened (so the notice never runs ahead of the page). */
  const changed = async (done: string) => {
    await list.reload();
    setNotice(done);
  };

  return (
    <section className="card wide">
      <h1>{t('groups.title')}</h1>
      <p>{t('groups.intro')}</p>
      <ErrorAlert error={list.error} />
      {notice && (
        <p role="status" ref={noticeRef} tabIndex={-1}>
          {notice}
        </p>
      )}
      <div className="table-wrap">
        <table className="cards" aria-label={t('groups.title')}>
          <thead>
            <tr>
              <th scope="col">{t('groups.name')}</th>
              <th scope="col">{t('groups.members')}</th>
              <th scope="col">{t('groups.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {groups.length === 0 && (
              <tr>
                <td colSpan={3}>{t('groups.none')}</td>
              </tr>
            )}
            {groups.map((g) => (
              <tr key={g.id} data-group={g.name}>
                <td data-label={t('groups.name')}>
                  <code>{g.name}</code>
                  {g.source === 'directory' && <span className="badge"> {t('groups.fromDirectory')}</span>}
                </td>
                <td data-label={t('groups.members')}>{g.members}</td>
                <td data-label={t('groups.actions')}>
                  <button
                    type="button"
                    aria-label={t('groups.openNamed', { name: g.name })}
                    aria-expanded={openId === g.id}
                    onClick={() => {
                      setNotice(null);
                      setOpenId(openId === g.id ? null : g.id);
                    }}
                  >
                    {t('groups.open')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="actions">
        {after && (
          <button type="button" onClick={() => setAfter(null)}>
            {t('users.first')}
          </button>
        )}
        {groups.length === PAGE && (
          <button type="button" onClick={() => setAfter(groups[groups.length - 1]!.name)}>
            {t('users.next')}
          </button>
        )}
      </div>
      {openId && (
        <GroupView
          key={openId}
          id={openId}
          onChanged={changed}
          onGone={async (done) => {
            setOpenId(null);
            await changed(done);
          }}
          onClose={() => setOpenId(null)}
        />
      )}
      <CreateGroup onCreated={changed} />
    </section>
  );
}

function CreateGroup({ onCreated }: { onCreated: (done: string) => Promise<void> }) {
  const { t } = useTranslation();
  const [name, setName] = useState('');
  const { submit, error } = useFormSubmit(async () => {
    const group = await api<Group>('POST', '/api/admin/groups', { name });
    setName('');
    await onCreated(t('groups.created', { name: group.name }));
  });
  return (
    <form onSubmit={submit} aria-labelledby="create-group-title">
      <h2 id="create-group-title">{t('groups.create')}</h2>
      <label htmlFor="new-group-name">{t('groups.name')}</label>
      <input
        id="new-group-name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        required
        maxLength={64}
        pattern={GROUP_NAME}
        autoCapitalize="none"
        spellCheck={false}
        aria-describedby="new-group-rule"
      />
      <p id="new-group-rule" className="hint">
        {t('groups.nameRule')}
      </p>
      <ErrorAlert error={error} detail />
      <button type="submit">{t('groups.create')}</button>
    </form>
  );
}

/** One group: its members, add one by email, remove one, rename, delete. */
function GroupView(props: { id: string; onChanged: (done: string) => Promise<void>; onGone: (done: string) => Promise<void>; onClose: () => void }) {
  const { t } = useTranslation();
  const detail = useLoad(() => api<GroupDetail>('GET', `/api/admin/groups/${encodeURIComponent(props.id)}`), props.id);
  const group = detail.data;
  const action = useAction();
  const [confirmation, setConfirmation] = useState<Confirmation | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  // Opening a group moves the focus to it, so the keyboard and a screen reader follow.
  const loaded = group !== null;
  useEffect(() => {
    if (loaded) headingRef.current?.focus();
  }, [loaded]);

  const change = (work: () => Promise<string>) =>
    action.run(async () => {
      const done = await work();
      await detail.reload();
      await props.onChanged(done);
    });

  if (!group) return <ErrorAlert error={detail.error} />;
  // A directory group's members and name follow the directory (the API answers 409 directory_group).
  const readOnly = group.source === 'directory';
  return (
    <section aria-labelledby="group-title" className="group">
      <h2 id="group-title" ref={headingRef} tabIndex={-1}>
        {t('groups.group', { name: group.name })}
      </h2>
      <ErrorAlert error={action.error} detail />
      {readOnly && <p>{t('groups.directoryReadOnly')}</p>}
      <div className="table-wrap">
        <table className="cards" aria-label={t('groups.members')}>
          <thead>
            <tr>
              <th scope="col">{t('groups.email')}</th>
              <th scope="col">{t('groups.addedAt')}</th>
              <th scope="col">{t('groups.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {group.members.length === 0 && (
              <tr>
                <td colSpan={3}>{t('groups.noMembers')}</td>
              </tr>
            )}
            {group.members.map((m) => (
              <tr key={m.id} data-member={m.email}>
                <td data-label={t('groups.email')}>{m.email}</td>
                <td data-label={t('groups.addedAt')}>{formatDateTime(m.addedAt)}</td>
                <td data-label={t('groups.actions')}>
                  <button
                    type="button"
                    hidden={readOnly}
                    aria-label={t('groups.removeNamed', { email: m.email, name: group.name })}
                    onClick={() =>
                      void change(async () => {
                        await api('DELETE', `/api/admin/groups/${encodeURIComponent(group.id)}/members/${encodeURIComponent(m.id)}`);
                        return t('groups.removed', { email: m.email, name: group.name });
                      })
                    }
                  >
                    {t('groups.remove')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!readOnly && (
        <>
          <OneField
            id="add-member"
            title={t('groups.addMember')}
            label={t('groups.memberEmail')}
            type="email"
            submit={t('groups.add')}
            onSubmit={async (email) => {
              const answer = await api<{ added: boolean }>('POST', `/api/admin/groups/${encodeURIComponent(group.id)}/members`, { email });
              await detail.reload();
              await props.onChanged(t(answer.added ? 'groups.added' : 'groups.alreadyMember', { email, name: group.name }));
            }}
          />
          <OneField
            id="rename-group"
            title={t('groups.rename')}
            label={t('groups.newName')}
            initial={group.name}
            pattern={GROUP_NAME}
            submit={t('groups.rename')}
            onSubmit={async (name) => {
              await api('PATCH', `/api/admin/groups/${encodeURIComponent(group.id)}`, { name });
              await detail.reload();
              await props.onChanged(t('groups.renamed', { name }));
            }}
          />
        </>
      )}
      <div className="actions">
        <button
          type="button"
          className="danger"
          onClick={() =>
            setConfirmation({
              title: t('groups.delete'),
              text: t('groups.confirmDelete', { name: group.name }),
              confirm: t('groups.delete'),
              danger: true,
              run: () =>
                void action.run(async () => {
                  await api('DELETE', `/api/admin/groups/${encodeURIComponent(group.id)}`);
                  await props.onGone(t('groups.deleted', { name: group.name }));
                }),
            })
          }
        >
          {t('groups.delete')}
        </button>
        <button type="button" onClick={props.onClose}>
          {t('groups.close')}
        </button>
      </div>
      {confirmation && <ConfirmDialog confirmation={confirmation} onClose={() => setConfirmation(null)} />}
    </section>
  );
}

/** A small form of one field under its own heading (add a member, rename): the field empties after an add. */
function OneField(props: {
  id: string;
  title: string;
  label: string;
  submit: string;
  type?: 'email';
  initial?: string;
  pattern?: string;
  onSubmit: (value: string) => Promise<void>;
}) {
  const [value, setValue] = useState(props.initial ?? '');
  const { submit, error } = useFormSubmit(async () => {
    await props.onSubmit(value.trim());
    if (props.initial === undefined) setValue('');
  });
  return (
    <form onSubmit={submit} aria-labelledby={`${props.id}-title`}>
      <h3 id={`${props.id}-title`}>{props.title}</h3>
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        {...(props.type === 'email' ? emailInput('off') : { type: 'text', maxLength: 64, autoCapitalize: 'none', spellCheck: false })}
        value={value}
        onChange={(e) => setValue(e.target.value)}
        required
        pattern={props.pattern}
      />
      <ErrorAlert error={error} detail />
      <button type="submit">{props.submit}</button>
    </form>
  );
}
