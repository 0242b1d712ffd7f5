// "Recent security activity": the signed-in user's own events (GET /api/me/security-events), in
// plain sentences, so something they did not do stands out.
import { useTranslation } from 'react-i18next';
import type { AuditPage } from '../../../src/shared/api-types';
import { api } from '../api';
import { EventItem } from '../pages/AuditPage';
import { ErrorAlert } from './ErrorAlert';
import { useLoad } from '../use-load';

export function SecurityEvents() {
  const { t } = useTranslation();
  const { data: page, error } = useLoad(() => api<AuditPage>('GET', '/api/me/security-events?limit=10'));

  return (
    <section aria-labelledby="events-title">
      <h2 id="events-title">{t('account.events')}</h2>
      <ErrorAlert error={error} />
      {page && (
        <ol className="events" aria-labelledby="events-title">
          {page.events.length === 0 && <li>{t('audit.none')}</li>}
          {page.events.map((event) => (
            <EventItem key={event.id} event={event} />
          ))}
        </ol>
      )}
    </section>
  );
}
