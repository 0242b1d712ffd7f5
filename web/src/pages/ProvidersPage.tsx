// Sign-in providers (administrators, issue 34): the providers people may sign in with, each with
// Enable/Disable, trust for MFA and Remove; the one callback URL to register at every provider;
// and the form to add one (components/AddProviderForm.tsx). Every change asks for a step-up first
// (api.ts opens the dialog); removing asks in the page too, since it takes every link with it.
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AdminUpstreamProvider } from '../../../src/shared/api-types';
import { api } from '../api';
import { AddProviderForm } from '../components/AddProviderForm';
import { ConfirmDialog, type Confirmation } from '../components/ConfirmDialog';
import { ErrorAlert } from '../components/ErrorAlert';
import { useAction } from '../use-form-submit';
import { useLoad } from '../use-load';

export function ProvidersPage() {
  const { t } = useTranslation();
  const list = useLoad(async () => (await api<{ providers: AdminUpstreamProvider[] }>('GET', '/api/admin/upstream')).providers);
  const providers = list.data ?? [];
  const action = useAction();
  const [confirmation, setConfirmation] = useState<Confirmation | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const noticeRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);

  /** A change, then the list as it is now, then what happened (the notice never runs ahead of the table). */
  const change = (work: () => Promise<string>) =>
    action.run(async () => {
      setNotice(null);
      const done = await work();
      await list.reload();
      setNotice(done);
    });
  const patch = (p: AdminUpstreamProvider, body: { enabled: boolean } | { trustedMfa: boolean }, done: string) =>
    void change(async () => {
      await api('PATCH', `/api/admin/upstream/${encodeURIComponent(p.id)}`, body);
      return t(done, { name: p.name });
    });
  const remove = (p: AdminUpstreamProvider) =>
    setConfirmation({
      title: t('upstream.admin.removeTitle'),
      text: t('upstream.admin.confirmRemove', { name: p.name }),
      confirm: t('upstream.admin.remove'),
      danger: true,
      run: () =>
        void change(async () => {
          await api('DELETE', `/api/admin/upstream/${encodeURIComponent(p.id)}`);
          return t('upstream.admin.removed', { name: p.name });
        }),
    });
  const yesNo = (value: boolean) => t(value ? 'upstream.admin.yes' : 'upstream.admin.no');

  return (
    <section className="card wide">
      <h1>{t('upstream.admin.title')}</h1>
      <CallbackUrl />
      <ErrorAlert error={list.error ?? action.error} detail />
      {notice && (
        <p role="status" ref={noticeRef} tabIndex={-1}>
          {notice}
        </p>
      )}
      <div className="table-wrap">
        <table className="cards providers-table" aria-label={t('upstream.admin.title')}>
          <thead>
            <tr>
              <th scope="col">{t('upstream.admin.name')}</th>
              <th scope="col">{t('upstream.admin.issuer')}</th>
              <th scope="col">{t('upstream.admin.kind')}</th>
              <th scope="col">{t('upstream.admin.enabled')}</th>
              <th scope="col">{t('upstream.admin.trustedMfa')}</th>
              <th scope="col">{t('upstream.admin.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data && providers.length === 0 && (
              <tr>
                <td colSpan={6}>{t('upstream.admin.none')}</td>
              </tr>
            )}
            {providers.map((p) => (
              <tr key={p.id} data-provider={p.name}>
                <td data-label={t('upstream.admin.name')}>
                  {p.logo && <img src={p.logo} alt="" width={20} height={20} className="provider-logo" />}
                  {p.name}
                </td>
                <td data-label={t('upstream.admin.issuer')}>
                  <code>{p.issuer}</code>
                </td>
                <td data-label={t('upstream.admin.kind')}>{t(`upstream.admin.kinds.${p.kind}`)}</td>
                <td data-label={t('upstream.admin.enabled')}>{yesNo(p.enabled)}</td>
                <td data-label={t('upstream.admin.trustedMfa')}>{yesNo(p.trustedMfa)}</td>
                <td data-label={t('upstream.admin.actions')}>
                  <div className="actions">
                    <button
                      type="button"
                      disabled={action.busy}
                      aria-label={t(p.enabled ? 'upstream.admin.disableNamed' : 'upstream.admin.enableNamed', { name: p.name })}
                      onClick={() => patch(p, { enabled: !p.enabled }, p.enabled ? 'upstream.admin.nowDisabled' : 'upstream.admin.nowEnabled')}
                    >
                      {t(p.enabled ? 'upstream.admin.disable' : 'upstream.admin.enable')}
                    </button>
                    <button
                      type="button"
                      disabled={action.busy}
                      aria-label={t(p.trustedMfa ? 'upstream.admin.untrustNamed' : 'upstream.admin.trustNamed', { name: p.name })}
                      onClick={() => patch(p, { trustedMfa: !p.trustedMfa }, p.trustedMfa ? 'upstream.admin.nowUntrusted' : 'upstream.admin.nowTrusted')}
                    >
                      {t(p.trustedMfa ? 'upstream.admin.untrust' : 'upstream.admin.trust')}
                    </button>
                    <button
                      type="button"
                      className="danger"
                      disabled={action.busy}
                      aria-label={t('upstream.admin.removeNamed', { name: p.name })}
                      onClick={() => remove(p)}
                    >
                      {t('upstream.admin.remove')}
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <AddProviderForm
        onAdded={async (added) => {
          await list.reload();
          setNotice(t('upstream.admin.added', { name: added.name }));
        }}
      />
      {confirmation && <ConfirmDialog confirmation={confirmation} onClose={() => setConfirmation(null)} />}
    </section>
  );
}

/** The one callback URL every provider must know, with Copy (a refused clipboard says so). */
function CallbackUrl() {
  const { t } = useTranslation();
  const url = `${window.location.origin}/api/upstream/callback`;
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    setCopied(null);
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <>
      <p>{t('upstream.admin.intro')}</p>
      <p className="callback-url">
        <span id="callback-url-label">{t('upstream.admin.callback')}:</span> <code data-callback-url>{url}</code>{' '}
        <button type="button" aria-label={t('upstream.admin.copyNamed')} onClick={() => void copy()}>
          {t('upstream.admin.copy')}
        </button>
      </p>
      {copied === true && <p role="status">{t('upstream.admin.copied')}</p>}
      {copied === false && (
        <p role="alert" className="error">
          {t('upstream.admin.copyFailed')}
        </p>
      )}
    </>
  );
}
