// At start-up (PostgreSQL): an instance whose clock is further from the database server's than
// the code window would refuse good codes from every phone, and accept codes at the wrong
// time. It refuses to start, saying how to fix it, unless the operator overrides.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { DialectName } from '../../db/database.js';
import { CODE_WINDOW_SECONDS } from './clock-estimate.js';
import { describeError, measureDatabaseOffsetSeconds } from './clock-health.service.js';

export class ClockSkewError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClockSkewError';
  }
}

export interface StartupClockDeps {
  db: Kysely<DB>;
  dialect: DialectName;
  clock: () => number;
  config: { allowClockSkew: boolean };
}

/** Throws ClockSkewError when the clock is too far off and the override is not set; with the override, warns. */
export async function checkClockAtStartup(s: StartupClockDeps, warn: (message: string) => void): Promise<void> {
  const offset = await measureDatabaseOffsetSeconds(s.db, s.dialect, s.clock);
  if (offset === null || Math.abs(offset) <= CODE_WINDOW_SECONDS) return;
  const problem =
    `this server's clock is ${describeError(offset)} of the database server's, more than the ${CODE_WINDOW_SECONDS} s that codes from phones allow: ` +
    'two-factor sign-ins through this instance would fail.';
  const fix =
    'Correct the time on this server (turn on NTP: "timedatectl set-ntp true", or run chrony or ntpd), or on the database server if its clock is the wrong one, then start again.';
  if (s.config.allowClockSkew) {
    warn(`Starting anyway (GATEHOUSE_ALLOW_CLOCK_SKEW=1): ${problem} ${fix}`);
    return;
  }
  throw new ClockSkewError(`${problem[0]!.toUpperCase()}${problem.slice(1)} ${fix} To start anyway, set GATEHOUSE_ALLOW_CLOCK_SKEW=1.`);
}
