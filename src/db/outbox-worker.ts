// What the outbox workers (mail, back-channel logout) share: one round at a time on a poll timer
// that never keeps the process alive, a stop that waits for the round in progress, and the retry
// delay that doubles up to a ceiling. Each worker says what a round does (claim its due rows with a
// lease, deliver them) in `round()`.

/** first, 2×first, 4×first, … up to `max`: the delay before retrying after `failedAttempts` failures. */
export function backoffDelayMs(failedAttempts: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, failedAttempts - 1));
}

export abstract class OutboxWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private stopped = true;
  protected log: (message: string, error?: unknown) => void = () => {};

  /**
   * @param pollMs the pause between rounds
   * @param roundFailed what the log says when a whole round throws (the database away, say)
   */
  protected constructor(
    private readonly pollMs: number,
    private readonly roundFailed: string,
  ) {}

  /** One round's work; answers how many rows it delivered. */
  protected abstract round(): Promise<number>;

  /** Starts polling; `log` hears about failed attempts (never a message's or a token's content). */
  start(log?: (message: string, error?: unknown) => void): void {
    if (log) this.log = log;
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  /** Stops polling and waits for a round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => 0);
  }

  /** One round now. Answers how many were delivered. Rounds never overlap. */
  runOnce(): Promise<number> {
    this.running ??= this.round().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.runOnce()
        .catch((error: unknown) => this.log(this.roundFailed, error))
        .finally(() => this.schedule());
    }, this.pollMs);
    this.timer.unref();
  }
}
