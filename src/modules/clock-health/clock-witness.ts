// What the sign-in code asks of clock health: the latest estimate of this instance's clock error.
// The sign-in service is built before the app (and its clock-health heartbeat) exists, so it holds
// this witness, which the app attaches to its clock-health service once that is running; until
// then, and in a CLI process, there is no estimate and nothing is blamed on the server.
import type { ClockEstimate } from './clock-estimate.js';

export class ClockWitness {
  private source: { current(): ClockEstimate | null } | null = null;

  attach(source: { current(): ClockEstimate | null }): void {
    this.source = source;
  }

  current(): ClockEstimate | null {
    return this.source?.current() ?? null;
  }
}
