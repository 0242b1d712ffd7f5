// How far off is this instance's clock? A pure estimate from three witnesses, none of which
// needs the network: the database server's clock (PostgreSQL), the other instances' clocks
// (read through the database), and the phones, whose codes tell how far they were from the
// clock of the server that accepted them.
//
// No single witness is trusted. Each one votes for a value of this instance's error; the value
// backed by the most weight wins, so that the fewest clocks have to be wrong to explain what we
// see. This instance's own clock votes for "no error" (a prior, not a measurement); the phones,
// once a quorum of accounts agrees, weigh two (many independent clocks kept by phone networks).
import { TOTP_PERIOD_SECONDS, TOTP_WINDOW_STEPS } from '../totp/index.js';

/** Above this (either way) the instance is told it is off: codes start to land a step away. */
export const SKEW_THRESHOLD_SECONDS = 15;
/** Two witnesses whose values are this close agree. */
export const AGREEMENT_SECONDS = 15;
/** The code window: an instance further than this from the database's clock refuses to start. */
export const CODE_WINDOW_SECONDS = TOTP_WINDOW_STEPS * TOTP_PERIOD_SECONDS;
/** The phones' quorum: this many distinct accounts with an accepted code in the window… */
export const PHONE_QUORUM_ACCOUNTS = 5;
export const PHONE_WINDOW_MS = 24 * 3600_000;
/** …of which only the most recent count, so a corrected clock shows within a few sign-ins. */
export const PHONE_SAMPLE_LIMIT = 15;
/** A phone agrees with the others when its offset is within one step of their median (offsets come in whole steps). */
const PHONE_AGREEMENT_STEPS = 1;
const PHONES_WEIGHT = 2;

/** One account's most recent accepted code: its step (the phone's time) and offset (phone − server, in steps). */
export interface PhoneSample {
  lastUsedStep: number;
  offsetSteps: number;
}

/** Another live instance: its clock minus this one's, in seconds. */
export interface PeerReading {
  id: string;
  name: string;
  offsetSeconds: number;
}

export interface ClockEvidence {
  nowMs: number;
  /** This clock minus the database server's, corrected by half the round trip; null with SQLite. */
  databaseOffsetSeconds: number | null;
  peers: readonly PeerReading[];
  phones: readonly PhoneSample[];
}

export interface PhoneWitness {
  /** Distinct accounts with an accepted code in the window (at most PHONE_SAMPLE_LIMIT, the newest). */
  accounts: number;
  /** Of those, how many agree with their median. */
  agreeing: number;
  quorum: boolean;
  /** How far ahead of the phones the accepting servers were (negative: behind); null without a quorum. */
  serverAheadSeconds: number | null;
}

/** A witness behind the estimate: the database, the phones, or another instance by id. */
export type Witness = 'database' | 'phones' | `instance:${string}`;

export interface ClockEstimate {
  /** This clock minus the true time, in whole seconds (positive: ahead); null when no witness can tell. */
  errorSeconds: number | null;
  skewed: boolean;
  /** The witnesses that agree with the estimate. */
  backedBy: Witness[];
  /** How many phones (accounts) back the estimate: 0 when the phones are not among its witnesses. */
  phonesBacking: number;
  witnesses: { databaseOffsetSeconds: number | null; peers: PeerReading[]; phones: PhoneWitness };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * What the phones say: the median offset of the newest accepted codes across accounts, once at
 * least PHONE_QUORUM_ACCOUNTS accounts signed in within the window and most of them agree. One
 * phone that is off does not move the median, and cannot make a quorum on its own.
 */
export function phoneWitness(samples: readonly PhoneSample[], nowMs: number): PhoneWitness {
  const sinceStep = Math.floor((nowMs - PHONE_WINDOW_MS) / 1000 / TOTP_PERIOD_SECONDS);
  const offsets = samples
    .filter((s) => s.lastUsedStep >= sinceStep && Number.isFinite(s.offsetSteps))
    .sort((a, b) => b.lastUsedStep - a.lastUsedStep)
    .slice(0, PHONE_SAMPLE_LIMIT)
    .map((s) => s.offsetSteps);
  if (offsets.length === 0) return { accounts: 0, agreeing: 0, quorum: false, serverAheadSeconds: null };
  const center = median(offsets);
  const agreeing = offsets.filter((o) => Math.abs(o - center) <= PHONE_AGREEMENT_STEPS);
  const quorum = offsets.length >= PHONE_QUORUM_ACCOUNTS && agreeing.length * 2 > offsets.length;
  // The mean of the agreeing offsets, not their median: offsets come in whole steps, and a server
  // 45 s ahead shows as a mix of -1 and -2 steps whose mean says 45 where the median says 30 or 60.
  const mean = agreeing.reduce((sum, o) => sum + o, 0) / agreeing.length;
  return { accounts: offsets.length, agreeing: agreeing.length, quorum, serverAheadSeconds: quorum ? Math.round(-mean * TOTP_PERIOD_SECONDS) || 0 : null };
}

interface Vote {
  witness: Witness | 'self';
  weight: number;
  /** The values of this instance's error the witness would accept. */
  values: number[];
}

function votesOf(evidence: ClockEvidence, phones: PhoneWitness): Vote[] {
  const votes: Vote[] = [{ witness: 'self', weight: 1, values: [0] }];
  if (evidence.databaseOffsetSeconds !== null) votes.push({ witness: 'database', weight: 1, values: [evidence.databaseOffsetSeconds] });
  for (const peer of evidence.peers) votes.push({ witness: `instance:${peer.id}`, weight: 1, values: [-peer.offsetSeconds] });
  if (phones.serverAheadSeconds !== null) {
    // The codes were accepted by this instance or by another one (the table does not say which):
    // the phones back any hypothesis under which some instance is off by what they saw.
    const ahead = phones.serverAheadSeconds;
    votes.push({ witness: 'phones', weight: PHONES_WEIGHT, values: [ahead, ...evidence.peers.map((p) => ahead - p.offsetSeconds)] });
  }
  return votes;
}

function closest(values: number[], target: number): number {
  return values.reduce((best, v) => (Math.abs(v - target) < Math.abs(best - target) ? v : best));
}

/** This instance's clock error: the value backed by the most witnesses (ties: the database's side, then the smaller error). */
export function estimateClockError(evidence: ClockEvidence): ClockEstimate {
  const phones = phoneWitness(evidence.phones, evidence.nowMs);
  const votes = votesOf(evidence, phones);
  const witnesses = { databaseOffsetSeconds: evidence.databaseOffsetSeconds, peers: [...evidence.peers], phones };

  let best: { candidate: number; score: number; supporters: Vote[] } | null = null;
  for (const candidate of votes.flatMap((v) => v.values)) {
    const supporters = votes.filter((v) => v.values.some((value) => Math.abs(value - candidate) <= AGREEMENT_SECONDS));
    const score = supporters.reduce((sum, v) => sum + v.weight, 0);
    if (best === null || better({ candidate, score, supporters }, best)) best = { candidate, score, supporters };
  }
  const measured = best!.supporters.filter((v) => v.witness !== 'self');
  if (measured.length === 0) return { errorSeconds: null, skewed: false, backedBy: [], phonesBacking: 0, witnesses };
  // The value comes from the most precise witness that backs it: the database (a direct reading),
  // then the other instances, then the phones (whose offsets come in whole 30 s steps).
  const precise = ['database', 'instance', 'phones'].map((kind) => measured.filter((v) => v.witness.startsWith(kind))).find((group) => group.length > 0)!;
  const errorSeconds = Math.round(median(precise.map((v) => closest(v.values, best!.candidate)))) || 0;
  return {
    errorSeconds,
    skewed: Math.abs(errorSeconds) > SKEW_THRESHOLD_SECONDS,
    backedBy: measured.map((v) => v.witness as Witness),
    phonesBacking: measured.some((v) => v.witness === 'phones') ? phones.agreeing : 0,
    witnesses,
  };
}

function better(a: { candidate: number; score: number; supporters: Vote[] }, b: { candidate: number; score: number; supporters: Vote[] }): boolean {
  if (a.score !== b.score) return a.score > b.score;
  // A tie: the database is the one reference every instance shares, so its side wins; failing
  // that, assume the smaller error. A tie between this instance and one other clock, with
  // nothing else to tell, leaves the estimate unknown (only this instance backs "no error").
  const aDb = a.supporters.some((v) => v.witness === 'database');
  const bDb = b.supporters.some((v) => v.witness === 'database');
  if (aDb !== bDb) return aDb;
  return Math.abs(a.candidate) < Math.abs(b.candidate);
}

/**
 * For the sign-in code: when a code from the app fails, whose clock is the likely culprit?
 * `accountOffsetSeconds` is the account's learned phone offset (null until known).
 * 'server_clock' when this server is skewed and the phone looks fine (its offset was in line,
 * unknown, or exactly what the server's error predicts); 'phone_clock' when the server is fine
 * and the phone was already drifting; null when nothing points anywhere (a mistyped code).
 */
export function blameForFailedCode(accountOffsetSeconds: number | null, estimate: ClockEstimate | null): 'server_clock' | 'phone_clock' | null {
  if (estimate?.skewed && estimate.errorSeconds !== null) {
    if (accountOffsetSeconds === null || Math.abs(accountOffsetSeconds) <= AGREEMENT_SECONDS) return 'server_clock';
    // A phone that is right appears off by the opposite of the server's error.
    if (Math.abs(accountOffsetSeconds + estimate.errorSeconds) <= AGREEMENT_SECONDS) return 'server_clock';
    return 'phone_clock';
  }
  if (accountOffsetSeconds !== null && Math.abs(accountOffsetSeconds) > SKEW_THRESHOLD_SECONDS) return 'phone_clock';
  return null;
}
