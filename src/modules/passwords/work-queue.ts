// A bounded gate in front of expensive work (Argon2id). At most `concurrency` jobs run at once
// (more would only queue inside libuv's thread pool and hold their memory), and at most
// `queueLimit` wait: past that, callers are refused at once instead of letting memory grow with
// a flood. p-limit and p-queue have no bound on waiting jobs, hence these few lines.
export class QueueFullError extends Error {
  constructor() {
    super('work queue is full');
  }
}

export class WorkQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly queueLimit: number,
  ) {}

  get pending(): number {
    return this.waiting.length;
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueLimit) throw new QueueFullError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      // Hand the slot straight to the next waiter, so `running` never dips and lets a newcomer jump the queue.
      if (next) next();
      else this.running -= 1;
    }
  }
}
