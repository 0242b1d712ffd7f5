// A request's time waiting for database connections. A request asks the pool for a connection
// several times (a sign-in reads, hashes, then writes), and each ask may wait up to the pool's
// connection timeout, so behind a slow database the waits add up past any bound one timeout gives.
// Each request therefore gets one budget for all its waits together: once spent, the next
// connection it asks for is refused at once (the documented 503). Time spent running statements
// is not counted: a slow but working database still answers, within the statement timeout.
//
// This measures I/O waiting, like pg's own timeouts, so it reads the monotonic clock
// (performance.now), never the injected clock that decides locks and codes.
import { AsyncLocalStorage } from 'node:async_hooks';

/** How long one request may wait for database connections, all its waits together. */
export const REQUEST_CONNECTION_WAIT_BUDGET_MS = 3000;

interface WaitBudget {
  waitedMs: number;
  readonly budgetMs: number;
}

const budgets = new AsyncLocalStorage<WaitBudget>();

/** Runs `work` (and everything it starts) with `budgetMs` to wait for connections in. */
export function withConnectionWaitBudget<T>(budgetMs: number, work: () => T): T {
  return budgets.run({ waitedMs: 0, budgetMs }, work);
}

/**
 * Waits for `connect` within what is left of the current request's budget (`fullWait` outside a
 * request: workers, the CLI), and charges the wait to it. `within(ms)` must give up after `ms`.
 */
export async function chargeConnectionWait<T>(fullWaitMs: number, within: (ms: number) => Promise<T>, refuse: () => Error): Promise<T> {
  const budget = budgets.getStore();
  if (budget === undefined) return within(fullWaitMs);
  const left = budget.budgetMs - budget.waitedMs;
  if (left <= 0) throw refuse();
  const started = performance.now();
  try {
    return await within(Math.min(left, fullWaitMs));
  } finally {
    budget.waitedMs += performance.now() - started;
  }
}
