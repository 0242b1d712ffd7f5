// TOTP (RFC 6238) over HOTP (RFC 4226), from the otpauth library, with the two things its
// plain `validate` leaves to us: a constant-time comparison of every candidate in the window,
// and the step that matched, so the caller can refuse a code whose step was already used.
import { HOTP, Secret, TOTP } from 'otpauth';
import { constantTimeEqual } from '../../crypto/tokens.js';

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** ±2 steps: a device whose clock is up to a minute off still works (docs/api.md), beyond that it does not. */
export const TOTP_WINDOW_STEPS = 2;
/**
 * Once an account's clock offset is learned, codes are accepted only within ±1 step of it: the phone
 * keeps its minute of drift, and each guess matches at most 3 codes instead of 5.
 */
export const LEARNED_WINDOW_STEPS = 1;

/** The steps a code is looked for in: `centre` ± `radius`, relative to now. */
export interface TotpWindow {
  centre: number;
  radius: number;
}

/** Enrolment (and an account whose offset is not known yet): ±2 steps around now. */
export const ENROLMENT_WINDOW: TotpWindow = { centre: 0, radius: TOTP_WINDOW_STEPS };
/** 160 bits, the HMAC-SHA1 block output size RFC 4226 §4 recommends for the shared secret. */
export const TOTP_SECRET_BYTES = 20;

export function generateTotpSecret(): string {
  return new Secret({ size: TOTP_SECRET_BYTES }).base32;
}

export function timeStep(nowMs: number, period = TOTP_PERIOD_SECONDS): number {
  return Math.floor(nowMs / 1000 / period);
}

export function generateHotp(secretBase32: string, counter: number, digits = TOTP_DIGITS, algorithm: TotpAlgorithm = 'SHA1'): string {
  return HOTP.generate({ secret: Secret.fromBase32(secretBase32), counter, digits, algorithm });
}

export function generateTotp(secretBase32: string, nowMs: number, options: { digits?: number; algorithm?: TotpAlgorithm; period?: number } = {}): string {
  return generateHotp(secretBase32, timeStep(nowMs, options.period), options.digits, options.algorithm);
}

const APP_CODE_FORMAT = new RegExp(`^\\d{${TOTP_DIGITS}}$`);

/** Is `code` shaped like a code from the app (TOTP_DIGITS digits, nothing else)? */
export function isAppCodeFormat(code: string): boolean {
  return APP_CODE_FORMAT.test(code);
}

/**
 * Every step in the drift window around now whose code equals `code`, oldest first, with its
 * offset from now (in steps). Every candidate is computed and compared in constant time, so the
 * timing does not reveal which one matched. The one scan behind matchTotp and isReplayedTotp.
 */
function scanWindow(secretBase32: string, code: string, nowMs: number, window: TotpWindow): Array<{ step: number; offset: number }> {
  if (!isAppCodeFormat(code)) return [];
  const current = timeStep(nowMs);
  const matches: Array<{ step: number; offset: number }> = [];
  for (let offset = window.centre - window.radius; offset <= window.centre + window.radius; offset++) {
    const step = current + offset;
    if (constantTimeEqual(generateHotp(secretBase32, step), code)) matches.push({ step, offset });
  }
  return matches;
}

/**
 * The earliest step, within the drift window and after `lastUsedStep`, whose code equals `code`,
 * with its offset from now (in steps); null when there is none.
 */
export function matchTotp(
  secretBase32: string,
  code: string,
  nowMs: number,
  lastUsedStep: number | null,
  window: TotpWindow = ENROLMENT_WINDOW,
): { step: number; offset: number } | null {
  return scanWindow(secretBase32, code, nowMs, window).find((m) => lastUsedStep === null || m.step > lastUsedStep) ?? null;
}

/** Was `code` valid in the window but for a step already used? (For auditing replays.) */
export function isReplayedTotp(secretBase32: string, code: string, nowMs: number, lastUsedStep: number | null, window: TotpWindow = ENROLMENT_WINDOW): boolean {
  if (lastUsedStep === null) return false;
  return scanWindow(secretBase32, code, nowMs, window).some((m) => m.step <= lastUsedStep);
}

/** The Key URI an authenticator app scans: otpauth://totp/Issuer:account?secret=…&issuer=… */
export function keyUri(secretBase32: string, issuer: string, accountName: string): string {
  return new TOTP({
    issuer,
    label: accountName,
    secret: Secret.fromBase32(secretBase32),
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  }).toString();
}

/** How many recent offsets the clock-drift estimate averages. */
export const DRIFT_SAMPLES = 8;

export function addOffsetSample(recent: number[], offset: number): number[] {
  return [...recent, clampOffset(offset)].slice(-DRIFT_SAMPLES);
}

/** The learned offset stays within the enrolment window (±2 steps), wherever the codes drift. */
function clampOffset(offset: number): number {
  return Math.max(-TOTP_WINDOW_STEPS, Math.min(TOTP_WINDOW_STEPS, offset));
}

/**
 * The window for an account's next code: ±1 step around its learned offset (that of the last
 * accepted code: enrolment's, then every sign-in's), or the enrolment window while none is known.
 */
export function learnedWindow(recent: number[]): TotpWindow {
  const last = recent.at(-1);
  return last === undefined ? ENROLMENT_WINDOW : { centre: clampOffset(last), radius: LEARNED_WINDOW_STEPS };
}

/** The phone clock's apparent offset in seconds (positive: ahead), or null until a code was accepted. */
export function estimateClockOffsetSeconds(recent: number[]): number | null {
  if (recent.length === 0) return null;
  const mean = recent.reduce((sum, o) => sum + o, 0) / recent.length;
  return Math.round(mean * TOTP_PERIOD_SECONDS);
}
