// Applications → the hosts guarded by forward auth (GET /api/admin/access): the default for hosts
// no application names and where it comes from, each application with its rules in the order they
// are tried, and the changes: add a rule (it creates its host's application), remove a rule,
// rename or remove an application. Bad input shows the server's own sentence (a bad host, an
// unknown group, a rule the path already has). Every change asks for a step-up first (api.ts).
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AccessApplication, AccessFactors, AccessOverview } from '../../../src/shared/api-types';
import { api } from '../api';
import { FACTORS, factorText, ruleWho } from '../access-text';
import { useAction, useFormSubmit } from '../use-form-submit';
import { useLoad } from '../use-load';
import { ConfirmDialog, type Confirmation } from './ConfirmDialog';
import { ErrorAlert } from './ErrorAlert';

export function ForwardAuthApplications() {
  const { t } = useTranslation();
  const overview = useLoad(() => api<AccessOverview>('GET', '/api/admin/access'));
  const action = useAction();
  const [confirmation, setConfirmation] = useState<Confirmation | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const noticeRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);

  // The notice comes after the list is current, so what it says is already on the page.
  const changed = async (done: string) => {
    await overview.reload();
    setNotice(done);
  };
  const confirmThen = (confirmation: Omit<Confirmation, 'run'>, work: () => Promise<string>) =>
    setConfirmation({
      ...confirmation,
      danger: true,
      run: () => {
        setNotice(null);
        void action.run(async () => changed(await work()));
      },
    });

  const data = overview.data;
  return (
    <section aria-labelledby="forward-auth-title" data-forward-auth>
      <h2 id="forward-auth-title">{t('access.title')}</h2>
      <p>{t('access.intro')}</p>
      <ErrorAlert error={overview.error ?? action.error} detail />
      {notice && (
        <p role="status" ref={noticeRef} tabIndex={-1}>
          {notice}
        </p>
      )}
      {data && (
        <>
          <p data-access-default={data.default}>
            <strong>{t(data.default === 'allow' ? 'access.defaultAllow' : 'access.defaultDeny')}</strong>{' '}
            {t(data.defaultFrom === 'environment' ? 'access.fromEnvironment' : 'access.fromInstall')}
          </p>
          {data.applications.length === 0 && <p>{t('access.none')}</p>}
          {data.applications.map((a) => (
            <ApplicationRules
              key={a.id}
              application={a}
              onRename={async (name) => {
                setNotice(null);
                await api('PATCH', `/api/admin/access/applications/${encodeURIComponent(a.id)}`, { name });
                await changed(t('access.renamed', { name }));
              }}
              onRemoveRule={(rule) =>
                confirmThen(
                  { title: t('access.removeRule'), text: t('access.confirmRemoveRule', { path: rule.path, host: a.host }), confirm: t('access.removeRule') },
                  async () => {
                    await api('DELETE', `/api/admin/access/rules/${encodeURIComponent(rule.id)}`);
                    return t('access.ruleRemoved', { path: rule.path, host: a.host });
                  },
                )
              }
              onRemove={() =>
                confirmThen(
                  {
                    title: t('access.removeApplication'),
                    text: t('access.confirmRemoveApplication', { name: a.name, host: a.host }),
                    confirm: t('access.removeApplication'),
                  },
                  async () => {
                    await api('DELETE', `/api/admin/access/applications/${encodeURIComponent(a.id)}`);
                    return t('access.applicationRemoved', { name: a.name });
                  },
                )
              }
            />
          ))}
          <AddRule hosts={data.applications.map((a) => a.host)} onAdded={changed} />
        </>
      )}
      {confirmation && <ConfirmDialog confirmation={confirmation} onClose={() => setConfirmation(null)} />}
    </section>
  );
}

function ApplicationRules(props: {
  application: AccessApplication;
  onRename: (name: string) => Promise<void>;
  onRemoveRule: (rule: AccessApplication['rules'][number]) => void;
  onRemove: () => void;
}) {
  const { t } = useTranslation();
  const a = props.application;
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(a.name);
  const titleId = `fa-app-${a.id}`;
  // The rename form keeps its own error; it closes once the name is saved.
  const rename = useFormSubmit(async () => {
    await props.onRename(name.trim());
    setRenaming(false);
  });
  return (
    <section aria-labelledby={titleId} className="forward-auth-app" data-application={a.host}>
      <h3 id={titleId}>
        {a.name} <code>{a.host}</code>
      </h3>
      {a.rules.length === 0 ? (
        <p>{t('access.noRules')}</p>
      ) : (
        <div className="table-wrap">
          <table className="cards" aria-labelledby={titleId}>
            <thead>
              <tr>
                <th scope="col">{t('access.path')}</th>
                <th scope="col">{t('access.who')}</th>
                <th scope="col">{t('access.factors')}</th>
                <th scope="col">{t('access.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {a.rules.map((rule) => (
                <tr key={rule.id} data-rule={rule.path}>
                  <td data-label={t('access.path')}>
                    <code>{rule.path}</code>
                  </td>
                  <td data-label={t('access.who')}>{rule.effect === 'deny' ? <span className="badge danger">{ruleWho(t, rule)}</span> : ruleWho(t, rule)}</td>
                  <td data-label={t('access.factors')}>{rule.effect === 'deny' ? '' : factorText(t, rule.factors)}</td>
                  <td data-label={t('access.actions')}>
                    <button type="button" aria-label={t('access.removeRuleNamed', { path: rule.path, host: a.host })} onClick={() => props.onRemoveRule(rule)}>
                      {t('access.removeRule')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {renaming ? (
        <form onSubmit={rename.submit} aria-label={t('access.renameNamed', { name: a.name })}>
          <label htmlFor={`${titleId}-name`}>{t('access.newName')}</label>
          <input id={`${titleId}-name`} value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} autoFocus />
          <ErrorAlert error={rename.error} detail />
          <div className="actions">
            <button type="submit" className="primary">
              {t('access.save')}
            </button>
            <button
              type="button"
              onClick={() => {
                rename.reset();
                setName(a.name);
                setRenaming(false);
              }}
            >
              {t('access.cancel')}
            </button>
          </div>
        </form>
      ) : (
        <div className="actions">
          <button type="button" aria-label={t('access.renameNamed', { name: a.name })} onClick={() => setRenaming(true)}>
            {t('access.rename')}
          </button>
          <button type="button" className="danger" aria-label={t('access.removeApplicationNamed', { name: a.name })} onClick={props.onRemove}>
            {t('access.removeApplication')}
          </button>
        </div>
      )}
    </section>
  );
}

/** Add a rule: host and path, who (one per line) or deny, the factors; the server checks every part. */
function AddRule({ hosts, onAdded }: { hosts: string[]; onAdded: (done: string) => Promise<void> }) {
  const { t } = useTranslation();
  const [host, setHost] = useState('');
  const [path, setPath] = useState('/');
  const [effect, setEffect] = useState<'allow' | 'deny'>('allow');
  const [who, setWho] = useState('');
  const [factors, setFactors] = useState<AccessFactors>('password');
  const [name, setName] = useState('');
  const { submit, error } = useFormSubmit(async () => {
    const allow = who
      .split('\n')
      .map((w) => w.trim())
      .filter(Boolean);
    const rule = await api<{ host: string; path: string }>('POST', '/api/admin/access/rules', {
      host: host.trim(),
      path: path.trim() || '/',
      ...(effect === 'deny' ? { deny: true } : { allow, factors }),
      ...(name.trim() ? { name: name.trim() } : {}),
    });
    setWho('');
    setName('');
    await onAdded(t('access.ruleAdded', { path: rule.path, host: rule.host }));
  });
  return (
    <form onSubmit={submit} aria-labelledby="add-rule-title">
      <h3 id="add-rule-title">{t('access.addRule')}</h3>
      <label htmlFor="rule-host">{t('access.host')}</label>
      <input
        id="rule-host"
        value={host}
        onChange={(e) => setHost(e.target.value)}
        required
        maxLength={300}
        list="rule-hosts"
        autoCapitalize="none"
        spellCheck={false}
        aria-describedby="rule-host-hint"
      />
      <datalist id="rule-hosts">
        {hosts.map((h) => (
          <option key={h} value={h} />
        ))}
      </datalist>
      <p id="rule-host-hint" className="hint">
        {t('access.hostHint')}
      </p>
      <label htmlFor="rule-path">{t('access.path')}</label>
      <input id="rule-path" value={path} onChange={(e) => setPath(e.target.value)} maxLength={1024} spellCheck={false} aria-describedby="rule-path-hint" />
      <p id="rule-path-hint" className="hint">
        {t('access.pathHint')}
      </p>
      <fieldset className="radios">
        <legend>{t('access.effect')}</legend>
        {(['allow', 'deny'] as const).map((e) => (
          <label key={e}>
            <input type="radio" name="rule-effect" value={e} checked={effect === e} onChange={() => setEffect(e)} /> {t(`access.${e}`)}
          </label>
        ))}
      </fieldset>
      {effect === 'allow' && (
        <>
          <label htmlFor="rule-who">{t('access.whoList')}</label>
          <textarea
            id="rule-who"
            value={who}
            onChange={(e) => setWho(e.target.value)}
            required
            rows={3}
            spellCheck={false}
            autoCapitalize="none"
            aria-describedby="rule-who-hint"
          />
          <p id="rule-who-hint" className="hint">
            {t('access.whoHint')}
          </p>
          <label htmlFor="rule-factors">{t('access.factorsLabel')}</label>
          <select id="rule-factors" value={factors} onChange={(e) => setFactors(e.target.value as AccessFactors)}>
            {FACTORS.map((f) => (
              <option key={f} value={f}>
                {factorText(t, f)}
              </option>
            ))}
          </select>
        </>
      )}
      <label htmlFor="rule-name">{t('access.applicationName')}</label>
      <input id="rule-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
      <ErrorAlert error={error} detail />
      <button type="submit">{t('access.add')}</button>
    </form>
  );
}
