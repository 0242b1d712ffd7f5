// Request logging with one line per request instead of Fastify's two ("incoming request" and
// "request completed"), and none for the hottest calls unless something is wrong: a session or
// forward-auth check that succeeds or is refused as expected is logged 1 in HOT_SAMPLE at info (with
// `sampled` saying so), so a busy server's log stays readable and its CPU goes to answering. A
// profile of session checks put Fastify's per-request child logger and two log lines at about a
// tenth of the request's cost.
import { hookList } from './route-hooks.js';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import type { Bindings, ChildLoggerOptions } from 'fastify/types/logger.js';

/** Every HOT_SAMPLE-th ordinary answer of a hot route is logged. */
export const HOT_SAMPLE = 1000;

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
const LEVEL_VALUES: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/** Would a logger at `current` write a line at `level`? (pino's numbering; silent writes nothing.) */
export function writes(current: string, level: Level): boolean {
  return (LEVEL_VALUES[current] ?? Number.POSITIVE_INFINITY) <= LEVEL_VALUES[level]!;
}

/**
 * A request's logger that becomes pino's child logger only when something is logged: most requests
 * log nothing, and building a child (bindings, redaction) on each was a measurable cost.
 */
class LazyChildLogger {
  private made: FastifyBaseLogger | undefined;
  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}
  private real(): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings, this.options);
    return this.made;
  }
  get level(): string {
    return this.made?.level ?? this.parent.level;
  }
  set level(level: string) {
    this.real().level = level;
  }
  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real().child(bindings, options);
  }
  private write(level: Level, args: unknown[]): void {
    if (!writes(this.level, level)) return;
    (this.real()[level] as (...a: unknown[]) => void)(...args);
  }
}

export function lazyChildLogger(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyChildLogger(parent, bindings, options) as unknown as FastifyBaseLogger;
}

/**
 * Answers by method, route and status, counted as plain numbers and handed to prom-client when
 * /metrics is read (`drainInto`): prom-client hashes and validates the labels on every increment,
 * which a profile of session checks showed at a few per cent of the request.
 */
export class RequestTally {
  private readonly entries: Array<{ labels: { method: string; route: string; status: string }; count: number }> = [];

  /** The running count for one label set (kept by the caller, incremented in place). */
  entry(method: string, route: string, status: number): { count: number } {
    const entry = { labels: { method, route, status: String(status) }, count: 0 };
    this.entries.push(entry);
    return entry;
  }

  drainInto(counter: Counter<'method' | 'route' | 'status'>): void {
    for (const entry of this.entries) {
      if (entry.count === 0) continue;
      counter.inc(entry.labels, entry.count);
      entry.count = 0;
    }
  }
}

/**
 * Per-request bookkeeping, as each route's own onResponse hook with its labels fixed when the route
 * is registered (Fastify builds `request.routeOptions` anew on every read, and a global hook would
 * run for routes that need nothing of it): the request counter, and the access log line with
 * method, route, status and time, never a header or a body (cookies, passwords and codes live
 * there). `hotRoutes` ("GET /api/session") are sampled while their answers are ordinary (below 500
 * and not 429); anything else is logged every time. Answers no route matched (404) are counted and
 * logged by `recordUnmatched`, from the not-found handler.
 */
export function registerRequestAccounting(
  app: FastifyInstance,
  options: { tally: RequestTally; hotRoutes: readonly string[] },
): { recordUnmatched(request: FastifyRequest, reply: FastifyReply): void } {
  const hot = new Set(options.hotRoutes);
  let hotAnswers = 0;
  const record = (
    request: FastifyRequest,
    method: string,
    route: string,
    status: number,
    ms: number,
    counters: Map<string, { count: number }>,
    hotRoute: boolean,
  ) => {
    const key = `${method} ${status}`;
    let counter = counters.get(key);
    if (counter === undefined) {
      counter = options.tally.entry(method, route, status);
      counters.set(key, counter);
    }
    counter.count++;
    if (!writes(app.log.level, 'info')) return;
    let sampled: number | undefined;
    if (hotRoute && status < 500 && status !== 429) {
      if (++hotAnswers % HOT_SAMPLE !== 0) return;
      sampled = HOT_SAMPLE;
    }
    const line = { method, route, status, ms: Math.round(ms * 10) / 10, address: request.ip };
    request.log.info(sampled ? { ...line, sampled } : line, 'request');
  };
  // At debug, also a line when a request arrives (its route, never its URL: query strings can
  // carry tokens), for following requests that have not answered yet. Decided at start-up, so at
  // info and above no request pays for the hook.
  if (writes(app.log.level, 'debug')) {
    app.addHook('onRequest', (request, _reply, done) => {
      request.log.debug({ method: request.method, route: request.routeOptions.url ?? 'unmatched' }, 'incoming request');
      done();
    });
  }
  app.addHook('onRoute', (route) => {
    const counters = new Map<string, { count: number }>();
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const hotMethods = new Set(methods.filter((method) => hot.has(`${method} ${route.url}`)));
    const accounting = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const method = methods.length === 1 ? methods[0]! : request.method;
      record(request, method, route.url, reply.statusCode, reply.elapsedTime, counters, hotMethods.has(method));
      done();
    };
    const existing = hookList(route.onResponse);
    route.onResponse = [...existing, accounting];
  });
  const unmatched = new Map<string, { count: number }>();
  return { recordUnmatched: (request, reply) => record(request, request.method, 'unmatched', reply.statusCode, reply.elapsedTime, unmatched, false) };
}
