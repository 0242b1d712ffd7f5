// Every change of groups, members, applications or rules goes through `change`: one transaction
// that does the work, bumps the access version (so every instance reloads) and writes the audit
// event. Nothing is half-saved, and nothing is saved without its event.
import { insertAuditEvent, type AuditEventInput } from '../audit/index.js';
import { bumpVersion, type Db } from './access.repository.js';

export async function change<T>(db: Db, clock: () => number, work: (trx: Db) => Promise<{ result: T; events: AuditEventInput[] }>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const { result, events } = await work(trx);
    if (events.length > 0) {
      await bumpVersion(trx);
      const now = clock();
      for (const event of events) await insertAuditEvent(trx, event, now);
    }
    return result;
  });
}
