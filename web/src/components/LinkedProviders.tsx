// Password and account security → the providers linked to this account (GET /api/me/upstream),
// each with Unlink. Unlinking asks for a step-up first (api.ts opens the dialog), and is refused
// (409 last_way_to_sign_in) when the provider is the account's only way in.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { UpstreamLink } from '../../../src/shared/api-types';
import { api } from '../api';
import { formatDate } from '../format';
import { useAction } from '../use-form-submit';
import { useLoad } from '../use-load';
import { ErrorAlert } from './ErrorAlert';

export function LinkedProviders() {
  const { t } = useTranslation();
  const list = useLoad(async () => (await api<{ links: UpstreamLink[] }>('GET', '/api/me/upstream')).links);
  const action = useAction();
  const [notice, setNotice] = useState<string | null>(null);

  const unlink = (link: UpstreamLink) =>
    void action.run(async () => {
      setNotice(null);
      await api('DELETE', `/api/me/upstream/${encodeURIComponent(link.providerId)}`);
      await list.reload();
      setNotice(t('upstream.linked.unlinked', { name: link.providerName }));
    });

  if (!list.data) return <ErrorAlert error={list.error} />;
  return (
    <section aria-labelledby="linked-providers-title" data-linked-providers>
      <h2 id="linked-providers-title">{t('upstream.linked.title')}</h2>
      {notice && <p role="status">{notice}</p>}
      <ErrorAlert error={action.error} />
      {list.data.length === 0 ? (
        <p>{t('upstream.linked.none')}</p>
      ) : (
        <>
          <p className="hint">{t('upstream.linked.explain')}</p>
          <ul className="devices" aria-labelledby="linked-providers-title">
            {list.data.map((link) => (
              <li key={link.providerId} data-provider={link.providerName}>
                <strong>{link.providerName}</strong>
                <div className="meta">
                  {link.email && `${t('upstream.linked.as', { email: link.email })} · `}
                  {t('upstream.linked.since', { date: formatDate(link.createdAt) })}
                </div>
                <button
                  type="button"
                  disabled={action.busy}
                  aria-label={t('upstream.linked.unlinkNamed', { name: link.providerName })}
                  onClick={() => unlink(link)}
                >
                  {t('upstream.linked.unlink')}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
