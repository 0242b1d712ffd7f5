// The one clock the tests give the app. Its base is fixed (never today's date), so a test's
// times do not depend on when it runs; CI moves the base years forward and back through
// GATEHOUSE_TEST_EPOCH to prove no test (and no code under test) reads the real date.

const DEFAULT_EPOCH = Date.UTC(2026, 10, 29, 6, 0, 1);

/** RFC 6238's default step: tests that care where in a step they are start from `startOfStep`. */
export const TOTP_STEP_MS = 30_000;

/** Parses GATEHOUSE_TEST_EPOCH: an ISO date-time with a zone, or whole milliseconds since 1970. */
export function parseTestEpoch(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_EPOCH;
  const text = raw.trim();
  let ms = Number.NaN;
  if (/^\d+$/.test(text)) ms = Number(text);
  // A zone is required: a bare local time would make the epoch depend on the machine's TZ.
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) ms = Date.parse(text);
  // Before 1970 the TOTP counter would be negative; past 9999 ISO strings stop being 4-digit years.
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > Date.UTC(9999, 11, 31)) {
    throw new Error(
      `GATEHOUSE_TEST_EPOCH: "${raw}" is not a test start time. Give an ISO date-time with a zone ` +
        '(2033-05-01T06:00:01Z) or milliseconds since 1970 (1998540001000), or unset it for the default.',
    );
  }
  return ms;
}

/** The base of every test clock, in milliseconds since 1970. */
export const TEST_EPOCH = parseTestEpoch(process.env.GATEHOUSE_TEST_EPOCH);

/** The first millisecond of the TOTP step that `ms` falls in. */
export function startOfStep(ms: number): number {
  return ms - (ms % TOTP_STEP_MS);
}

/** A clock that moves only when the test moves it; `read` is what the app gets as its clock. */
export class TestClock {
  private current: number;

  constructor(private readonly start: number = TEST_EPOCH) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  advance(ms: number): number {
    this.current += ms;
    return this.current;
  }

  set(ms: number): void {
    this.current = ms;
  }

  /** Back to where this clock started: for a `beforeEach`, so no test inherits another's time. */
  reset(): void {
    this.current = this.start;
  }

  readonly read = (): number => this.now();
}
