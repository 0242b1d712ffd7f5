// An authenticator app as a test holds it: the codes of one key, never the same step twice (the
// server refuses a step already used), each within the window the server accepts around the
// account's learned clock offset (±1 step of the last code's, inside ±2 of now: totp.ts). Quick
// successive codes take the next steps, as a phone whose clock drifts a little would; past the
// window it waits for the real clock to move on. Codes come from authenticator.ts (RFC 6238
// written independently of the server's library).
import { phoneCode } from './authenticator.js';

const STEP_MS = 30_000;
/** The server's window around now (TOTP_WINDOW_STEPS) and around the last offset (LEARNED_WINDOW_STEPS). */
const WINDOW = 2;
const LEARNED = 1;
/** How long before a step ends a code is not made (the time it may take to reach the server). */
const GUARD_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Phone {
  key = '';
  private last = Number.NEGATIVE_INFINITY;
  private offset = 0;

  /**
   * The time (ms) of the next code's step: the earliest unused one the server accepts now (±1 of
   * the last code's offset, within ±2 of now), so that quick successive codes have the most steps
   * left before the window runs out; past it, the next step of the real clock.
   */
  async at(): Promise<number> {
    for (;;) {
      // Near a step's end the server may check the code in the next one, one step further off: wait.
      if (Date.now() % STEP_MS > STEP_MS - GUARD_MS) await sleep(STEP_MS - (Date.now() % STEP_MS) + 200);
      const now = Math.floor(Date.now() / STEP_MS);
      const step = Math.max(this.last + 1, now + Math.max(this.offset - LEARNED, -WINDOW));
      if (step - now <= Math.min(this.offset + LEARNED, WINDOW)) {
        this.last = step;
        this.offset = step - now;
        return step * STEP_MS + STEP_MS / 2;
      }
      await sleep((now + 1) * STEP_MS - Date.now() + 200);
    }
  }

  /** The next code this phone shows for its key. */
  async code(): Promise<string> {
    if (!this.key) throw new Error('Phone: no key yet (set phone.key after enrolment)');
    return phoneCode(this.key, await this.at());
  }
}
