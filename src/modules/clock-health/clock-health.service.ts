// Server clock health: on a heartbeat, each instance measures its clock against the database
// server's, records its time in the database for the other instances, reads theirs and the
// phones' recent codes, and estimates its own clock error (clock-estimate.ts). The estimate
// feeds /healthz, /metrics, the administrators' notice, a log line per change, and the sign-in
// code (serverClockSuspect).
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Gauge } from 'prom-client';
import type { DB } from '../../db/schema.js';
import type { DialectName } from '../../db/database.js';
import { TOTP_PERIOD_SECONDS } from '../totp/index.js';
import {
  PHONE_SAMPLE_LIMIT,
  PHONE_WINDOW_MS,
  SKEW_THRESHOLD_SECONDS,
  estimateClockError,
  type ClockEstimate,
  type PeerReading,
  type PhoneSample,
} from './clock-estimate.js';
import type { InstanceView } from './clock-report.js';
import * as repo from './clock-health.repository.js';

export const HEARTBEAT_MS = 10_000;
/** An instance whose heartbeat has not changed for this long (by this instance's clock) is gone. */
const LIVE_MS = 3 * HEARTBEAT_MS;
/** Rows of instances killed without a clean stop are deleted after a day. */
const FORGET_MS = 24 * 3600_000;
/** The round trip is measured this many times; the shortest one is the most precise (as NTP does). */
const DATABASE_SAMPLES = 3;

export interface ClockLog {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

export interface ClockHealthDeps {
  db: Kysely<DB>;
  dialect: DialectName;
  clock: () => number;
  gauge: Gauge;
  log: ClockLog;
  /** How administrators tell instances apart (host:port). */
  name: string;
  /** The accounts' newest accepted app codes (the two-factor module keeps them): the phones' witness. */
  acceptedCodes: AcceptedCodes;
}

export type AcceptedCodes = (sinceStep: number, limit: number) => Promise<Array<{ last_used_step: number | null; recent_offsets: string }>>;

/**
 * This clock minus the database server's, in seconds, taken at the middle of the round trip
 * (the server read its clock somewhere in it; the middle is the best guess). Null with SQLite.
 */
export async function measureDatabaseOffsetSeconds(db: Kysely<DB>, dialect: DialectName, clock: () => number): Promise<number | null> {
  if (dialect !== 'postgres') return null;
  let best: { roundTrip: number; offset: number } | null = null;
  for (let i = 0; i < DATABASE_SAMPLES; i++) {
    const before = clock();
    const database = await repo.readDatabaseClockMs(db);
    const after = clock();
    const sample = { roundTrip: after - before, offset: (before + after) / 2 - database };
    if (best === null || sample.roundTrip < best.roundTrip) best = sample;
  }
  return best!.offset / 1000;
}

/** "about 45 s ahead" for the log and the start-up message. */
export function describeError(seconds: number): string {
  return `about ${Math.abs(Math.round(seconds))} s ${seconds >= 0 ? 'ahead' : 'behind'}`;
}

export class ClockHealthService {
  readonly id = randomUUID();
  private readonly startedAt: number;
  private latest: ClockEstimate | null = null;
  private peers: PeerReading[] = [];
  /** Each other instance's last heartbeat value, and when (by this clock) it was first seen. */
  private readonly seen = new Map<string, { reportedAt: number; seenAt: number; errorMs: number | null }>();
  private inFlight: Promise<ClockEstimate> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private published = false;
  private stopped = false;

  constructor(private readonly deps: ClockHealthDeps) {
    this.startedAt = deps.clock();
  }

  /** The latest estimate (null before the first heartbeat). */
  current(): ClockEstimate | null {
    return this.latest;
  }

  /**
   * For the sign-in code: true when this server's clock is estimated to be off by more than
   * SKEW_THRESHOLD_SECONDS, so a failed app code is more likely the server's fault than the
   * phone's (see blameForFailedCode in clock-estimate.ts for the per-account decision).
   */
  serverClockSuspect(): boolean {
    return this.latest?.skewed ?? false;
  }

  /** One heartbeat; calls that overlap share it. */
  refresh(): Promise<ClockEstimate> {
    this.inFlight ??= this.beat().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async beat(): Promise<ClockEstimate> {
    const { db, dialect, clock } = this.deps;
    const databaseOffsetSeconds = await measureDatabaseOffsetSeconds(db, dialect, clock);
    const now = clock();
    this.peers = this.livePeers(await repo.listInstanceClocks(db), now, databaseOffsetSeconds);
    const sinceStep = Math.floor((now - PHONE_WINDOW_MS) / 1000 / TOTP_PERIOD_SECONDS);
    const phones = phoneSamples(await this.deps.acceptedCodes(sinceStep, PHONE_SAMPLE_LIMIT));
    const estimate = estimateClockError({ nowMs: now, databaseOffsetSeconds, peers: this.peers, phones });
    if (!this.stopped) {
      await repo.saveHeartbeat(db, {
        id: this.id,
        name: this.deps.name,
        started_at: this.startedAt,
        reported_at: now,
        database_offset_ms: databaseOffsetSeconds === null ? null : Math.round(databaseOffsetSeconds * 1000),
        error_ms: estimate.errorSeconds === null ? null : estimate.errorSeconds * 1000,
      });
      this.published = true;
      await repo.pruneInstanceClocks(db, now - FORGET_MS);
    }
    this.record(estimate);
    return estimate;
  }

  private livePeers(rows: repo.InstanceClockRow[], now: number, databaseOffsetSeconds: number | null): PeerReading[] {
    const peers: PeerReading[] = [];
    for (const id of this.seen.keys()) if (!rows.some((r) => r.id === id)) this.seen.delete(id);
    for (const row of rows) {
      if (row.id === this.id) continue;
      const before = this.seen.get(row.id);
      const seen = { reportedAt: row.reported_at, seenAt: before?.reportedAt === row.reported_at ? before.seenAt : now, errorMs: row.error_ms };
      this.seen.set(row.id, seen);
      if (now - seen.seenAt > LIVE_MS) continue;
      // Through the database server's clock when both sides measured it (exact up to the round
      // trips); otherwise (SQLite) its clock when it wrote against ours when we first saw it,
      // which is off by at most one heartbeat.
      const offsetMs =
        databaseOffsetSeconds !== null && row.database_offset_ms !== null
          ? row.database_offset_ms - databaseOffsetSeconds * 1000
          : row.reported_at - seen.seenAt;
      peers.push({ id: row.id, name: row.name, offsetSeconds: Math.round(offsetMs / 100) / 10 });
    }
    return peers;
  }

  private record(estimate: ClockEstimate): void {
    const wasSkewed = this.latest?.skewed ?? false;
    this.latest = estimate;
    this.deps.gauge.set(estimate.errorSeconds ?? 0);
    if (estimate.skewed && !wasSkewed) {
      this.deps.log.warn(
        { clockErrorSeconds: estimate.errorSeconds, backedBy: estimate.backedBy, phonesBacking: estimate.phonesBacking },
        `This server's clock (${this.deps.name}) seems ${describeError(estimate.errorSeconds!)}: codes from phones may fail. Correct the time on the server (NTP).`,
      );
    } else if (!estimate.skewed && wasSkewed) {
      this.deps.log.info({ clockErrorSeconds: estimate.errorSeconds }, `This server's clock (${this.deps.name}) is in line again.`);
    }
  }

  /** Every live instance as seen from here, this one first, with its own estimate. */
  async instances(): Promise<{ estimate: ClockEstimate; instances: InstanceView[] }> {
    const estimate = await this.refresh();
    const mine = estimate.errorSeconds;
    const views: InstanceView[] = [{ id: this.id, name: this.deps.name, self: true, errorSeconds: mine, skewed: estimate.skewed, offsetFromThisSeconds: null }];
    for (const peer of this.peers) {
      const published = this.seen.get(peer.id)?.errorMs ?? null;
      // Its own estimate when it has one; otherwise what ours and the offset between us imply.
      const errorSeconds = published !== null ? Math.round(published / 1000) : mine !== null ? Math.round(mine + peer.offsetSeconds) : null;
      views.push({
        id: peer.id,
        name: peer.name,
        self: false,
        errorSeconds,
        skewed: errorSeconds !== null && Math.abs(errorSeconds) > SKEW_THRESHOLD_SECONDS,
        offsetFromThisSeconds: peer.offsetSeconds,
      });
    }
    return { estimate, instances: views };
  }

  /** Heartbeats until stop(); the timer does not keep the process alive. */
  start(): void {
    if (this.timer || this.stopped) return;
    // A database outage fails every heartbeat: say so once, not every 10 s.
    let failing = false;
    const tick = () =>
      void this.refresh().then(
        () => {
          failing = false;
        },
        (error: unknown) => {
          if (!failing) this.deps.log.warn({ err: error }, 'clock health check failed (the database does not answer?)');
          failing = true;
        },
      );
    tick();
    this.timer = setInterval(tick, HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Stops the heartbeat and removes this instance's row, so the others stop counting it at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight?.catch(() => {});
    if (this.published) await repo.deleteInstanceClock(this.deps.db, this.id).catch(() => {});
  }
}

/** The phone's offset of each account's newest accepted code (the last of its recent offsets). */
function phoneSamples(rows: Array<{ last_used_step: number | null; recent_offsets: string }>): PhoneSample[] {
  const samples: PhoneSample[] = [];
  for (const row of rows) {
    let offsets: unknown;
    try {
      offsets = JSON.parse(row.recent_offsets);
    } catch {
      continue;
    }
    const last = Array.isArray(offsets) ? offsets[offsets.length - 1] : undefined;
    if (row.last_used_step !== null && typeof last === 'number') samples.push({ lastUsedStep: row.last_used_step, offsetSteps: last });
  }
  return samples;
}
