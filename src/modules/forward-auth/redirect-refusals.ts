// `redirect.refused` is recorded at most once a minute per address, with a count: anyone can ask
// /api/redirect-target about any address (the audit module's AuditThrottle says why and how).
import { type AuditEventInput, AuditThrottle, type RecordAudit } from '../audit/index.js';

/** Wraps `audit` so that `redirect.refused` events are throttled as above; other events pass through. */
export function throttleRedirectRefusals(audit: RecordAudit, clock: () => number): RecordAudit {
  const throttle = new AuditThrottle(clock);
  return async (event: AuditEventInput) => {
    if (event.kind !== 'redirect.refused') return audit(event);
    const count = throttle.take(event.address ?? '');
    if (count !== null) await audit({ ...event, details: { ...event.details, count } });
  };
}
