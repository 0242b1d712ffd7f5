// The audit log (administrators): sentences, filters by kind, account and time, cursor paging,
// and settings changes with their old → new values.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AuditEvent, AuditPage as Page } from '../../../src/shared/api-types';
import { api } from '../api';
import { AUDIT_KINDS, auditSentence, kindName, settingsChanges } from '../audit-text';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatDateTime } from '../format';

interface Filters {
  kind: string;
  account: string;
  from: string;
  to: string;
}

export function AuditPage() {
  const { t } = useTranslation();
  const [filters, setFilters] = useState<Filters>({ kind: '', account: '', from: '', to: '' });
  const [cursors, setCursors] = useState<string[]>([]); // the pages before this one, for Previous
  const [cursor, setCursor] = useState<string | null>(null);
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async (f: Filters, c: string | null) => {
    const params = new URLSearchParams({ limit: '25' });
    if (f.kind) params.set('kind', f.kind);
    if (f.account.trim()) params.set('account', f.account.trim());
    // The day fields are local days: from the start of `from` to the end of `to`.
    if (f.from) params.set('from', new Date(`${f.from}T00:00:00`).toISOString());
    if (f.to) params.set('to', new Date(new Date(`${f.to}T00:00:00`).getTime() + 86_400_000).toISOString());
    if (c) params.set('cursor', c);
    setError(null);
    setPage(await api<Page>('GET', `/api/admin/audit?${params}`));
  }, []);

  useEffect(() => {
    const timer = setTimeout(() => void load(filters, cursor).catch(setError), 200);
    return () => clearTimeout(timer);
  }, [load, filters, cursor]);

  const change = (patch: Partial<Filters>) => {
    setFilters({ ...filters, ...patch });
    setCursor(null);
    setCursors([]);
  };

  return (
    <section className="card wide">
      <h1>{t('audit.title')}</h1>
      <fieldset className="filters">
        <legend>{t('audit.filters')}</legend>
        <div>
          <label htmlFor="audit-kind">{t('audit.kind')}</label>
          <select id="audit-kind" value={filters.kind} onChange={(e) => change({ kind: e.target.value })}>
            <option value="">{t('audit.allKinds')}</option>
            {AUDIT_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {kindName(t, kind)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="audit-account">{t('audit.account')}</label>
          <input id="audit-account" type="search" value={filters.account} onChange={(e) => change({ account: e.target.value })} />
        </div>
        <div>
          <label htmlFor="audit-from">{t('audit.from')}</label>
          <input id="audit-from" type="date" value={filters.from} onChange={(e) => change({ from: e.target.value })} />
        </div>
        <div>
          <label htmlFor="audit-to">{t('audit.to')}</label>
          <input id="audit-to" type="date" value={filters.to} onChange={(e) => change({ to: e.target.value })} />
        </div>
      </fieldset>
      <ErrorAlert error={error} />
      <ol className="events" data-audit-events aria-label={t('audit.title')}>
        {page?.events.length === 0 && <li>{t('audit.none')}</li>}
        {page?.events.map((event) => (
          <EventItem key={event.id} event={event} />
        ))}
      </ol>
      <div className="actions">
        {cursors.length > 0 && (
          <button
            type="button"
            onClick={() => {
              setCursor(cursors[cursors.length - 1] || null);
              setCursors(cursors.slice(0, -1));
            }}
          >
            {t('audit.newer')}
          </button>
        )}
        {page?.nextCursor && (
          <button
            type="button"
            onClick={() => {
              setCursors([...cursors, cursor ?? '']);
              setCursor(page.nextCursor);
            }}
          >
            {t('audit.older')}
          </button>
        )}
      </div>
    </section>
  );
}

export function EventItem({ event, showAddress = true }: { event: AuditEvent; showAddress?: boolean }) {
  const { t } = useTranslation();
  const changes = settingsChanges(t, event);
  return (
    <li>
      <time dateTime={event.at}>{formatDateTime(event.at)}</time> <span>{auditSentence(t, event)}</span>
      {showAddress && event.address && <span className="hint"> · {t('audit.fromAddress', { address: event.address })}</span>}
      {changes.length > 0 && (
        <ul className="changes">
          {changes.map((c) => (
            <li key={c}>{c}</li>
          ))}
        </ul>
      )}
    </li>
  );
}
