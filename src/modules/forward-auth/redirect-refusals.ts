// `redirect.refused` is recorded at most once a minute per address, with a count: anyone can ask
// /api/redirect-target about any address, and one event per request would let them flood the
// audit log. Each event's `details.count` is the number of refusals for that address since its
// previous event (this one included). Kept in memory, per instance: with N instances an address
// gets at most N events a minute.
import type { AuditEventInput, RecordAudit } from '../audit/index.js';

const WINDOW_MS = 60_000;
/** Addresses remembered at most (the oldest are forgotten first): the memory stays bounded. */
const MAX_ADDRESSES = 10_000;

/** Wraps `audit` so that `redirect.refused` events are throttled as above; other events pass through. */
export function throttleRedirectRefusals(audit: RecordAudit, clock: () => number): RecordAudit {
  const seen = new Map<string, { lastAt: number; pending: number }>();
  return async (event: AuditEventInput) => {
    if (event.kind !== 'redirect.refused') return audit(event);
    const address = event.address ?? '';
    const now = clock();
    const entry = seen.get(address);
    if (entry && now - entry.lastAt < WINDOW_MS) {
      entry.pending++;
      return;
    }
    seen.delete(address);
    if (seen.size >= MAX_ADDRESSES) seen.delete(seen.keys().next().value!);
    seen.set(address, { lastAt: now, pending: 0 });
    await audit({ ...event, details: { ...event.details, count: (entry?.pending ?? 0) + 1 } });
  };
}
