// Events anyone can cause by repeating a request (a refused redirect, a refusal by an access
// rule or an application's groups) are recorded at most once a window per key, with a count: one
// event per request would let a person reloading a page, or a script, flood the audit log. Kept
// in memory, per instance: with N instances a key gets at most N events a window. The memory is
// bounded; the oldest keys are forgotten first.

const WINDOW_MS = 60_000;
const MAX_KEYS = 10_000;

export class AuditThrottle {
  private readonly seen = new Map<string, { lastAt: number; pending: number }>();

  constructor(private readonly clock: () => number) {}

  /**
   * For an event about `key` now: the count to record with it (the events for that key since its
   * previous record, this one included), or null when it is folded into the next record.
   */
  take(key: string): number | null {
    const now = this.clock();
    const entry = this.seen.get(key);
    if (entry && now - entry.lastAt < WINDOW_MS) {
      entry.pending++;
      return null;
    }
    this.seen.delete(key);
    if (this.seen.size >= MAX_KEYS) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, { lastAt: now, pending: 0 });
    return (entry?.pending ?? 0) + 1;
  }
}
