// The access decision, pure: given the rules as loaded (a snapshot), an address and who is asking,
// which application answers, which rule matched, and what happens. No I/O, no clock: the forward-auth
// check, `gatehouse access check` and the admin area's "Can this person reach this address?" all
// call this one function, so they cannot disagree.
import type { Strength } from '../../core/session-strength.js';
import { STRENGTH_ORDER } from '../../core/session-strength.js';

export type Effect = 'allow' | 'deny';

export interface RuleSnapshot {
  id: string;
  /** Normalized: starts with `/`, no trailing `/` (but `/` itself), no dot segments. */
  path: string;
  effect: Effect;
  anyone: boolean;
  groupIds: ReadonlySet<string>;
  userIds: ReadonlySet<string>;
  factors: Strength;
}

export interface ApplicationSnapshot {
  id: string;
  name: string;
  /** As stored: `app.example.com`, `*.example.com`, `app.example.com:8443`. */
  host: string;
  /** Most specific path first (see orderRules). */
  rules: readonly RuleSnapshot[];
}

/** Who is asking, as they are now. */
export interface Person {
  userId: string;
  groupIds: ReadonlySet<string>;
  /** How strongly this session signed in. */
  strength: Strength;
  /** Whether the account has a second factor (a weak session can then step up with it). */
  hasSecondFactor: boolean;
}

export type DecisionReason =
  /** A rule let them in. */
  | 'allowed'
  /** No application names this host, and the default is allow. */
  | 'default_allow'
  /** No application names this host, and the default is deny. */
  | 'default_deny'
  /** The proxy did not say where the browser was going (and the default is deny). */
  | 'no_address'
  /** The host's application has no rule for this path. */
  | 'no_rule'
  /** The rule that matched refuses everyone. */
  | 'rule_denies'
  /** The rule that matched names groups or people, and not this one. */
  | 'not_listed'
  /** The rule lets them in, but this session signed in with too little. */
  | 'factors_too_weak';

export interface Decision {
  outcome: 'allow' | 'deny' | 'step_up';
  reason: DecisionReason;
  application: ApplicationSnapshot | null;
  rule: RuleSnapshot | null;
  /** What the rule asks of the session when the reason is factors_too_weak. */
  needs?: Strength;
}

/** The rules an instance decides with, indexed by host. */
export class AccessSnapshot {
  private readonly exact = new Map<string, ApplicationSnapshot[]>();
  /** Wildcards by their suffix (`.example.com`), longest first. */
  private readonly wildcards: Array<{ suffix: string; applications: ApplicationSnapshot[] }> = [];

  constructor(
    readonly applications: readonly ApplicationSnapshot[],
    readonly defaultEffect: Effect,
  ) {
    const bySuffix = new Map<string, ApplicationSnapshot[]>();
    for (const application of applications) {
      const { hostname } = splitHost(application.host);
      if (hostname.startsWith('*.')) {
        const suffix = hostname.slice(1);
        bySuffix.set(suffix, [...(bySuffix.get(suffix) ?? []), application]);
      } else {
        this.exact.set(hostname, [...(this.exact.get(hostname) ?? []), application]);
      }
    }
    for (const [suffix, list] of bySuffix) this.wildcards.push({ suffix, applications: list });
    this.wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
  }

  /** The application for a host and port: an exact name before a wildcard, one with the port before one without. */
  applicationFor(hostname: string, port: string): ApplicationSnapshot | null {
    const pick = (list: ApplicationSnapshot[] | undefined) =>
      list?.find((a) => splitHost(a.host).port === port) ?? list?.find((a) => splitHost(a.host).port === '') ?? null;
    const exact = pick(this.exact.get(hostname));
    if (exact) return exact;
    for (const { suffix, applications } of this.wildcards) {
      if (hostname.length > suffix.length && hostname.endsWith(suffix)) {
        const found = pick(applications);
        if (found) return found;
      }
    }
    return null;
  }

  /** The decision for `address` (null: the proxy did not say) and `person`. */
  decide(address: URL | null, person: Person): Decision {
    if (address === null) {
      const outcome = this.defaultEffect === 'allow' ? 'allow' : 'deny';
      return { outcome, reason: outcome === 'allow' ? 'default_allow' : 'no_address', application: null, rule: null };
    }
    // `wiki.example.com.` is the same host to DNS and to nginx (it drops the dot when it picks the
    // server), so it must be to the rules too: with a default of allow, the dot would walk past them.
    const application = this.applicationFor(address.hostname.replace(/\.$/, ''), effectivePort(address));
    if (application === null) {
      const allow = this.defaultEffect === 'allow';
      return { outcome: allow ? 'allow' : 'deny', reason: allow ? 'default_allow' : 'default_deny', application: null, rule: null };
    }
    const path = normalizeRequestPath(address.pathname);
    const rule = application.rules.find((r) => pathMatches(r.path, path)) ?? null;
    if (rule === null) return { outcome: 'deny', reason: 'no_rule', application, rule: null };
    if (rule.effect === 'deny') return { outcome: 'deny', reason: 'rule_denies', application, rule };
    const listed = rule.anyone || rule.userIds.has(person.userId) || [...person.groupIds].some((g) => rule.groupIds.has(g));
    if (!listed) return { outcome: 'deny', reason: 'not_listed', application, rule };
    if (STRENGTH_ORDER[person.strength] >= STRENGTH_ORDER[rule.factors]) return { outcome: 'allow', reason: 'allowed', application, rule };
    // Two factors can be had by stepping up with the account's code; a security key only by
    // signing in with one (a code proves nothing about a key).
    const outcome = rule.factors === 'two_factors' && person.hasSecondFactor ? 'step_up' : 'deny';
    return { outcome, reason: 'factors_too_weak', application, rule, needs: rule.factors };
  }
}

/** `host` or `host:port` into its parts (the port '' when none). */
export function splitHost(host: string): { hostname: string; port: string } {
  const colon = host.lastIndexOf(':');
  return colon === -1 ? { hostname: host, port: '' } : { hostname: host.slice(0, colon), port: host.slice(colon + 1) };
}

function effectivePort(url: URL): string {
  return url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
}

/** A rule's prefix covers the path itself and everything below it, by whole segments: `/admin` covers `/admin`, `/admin/x` and `/admin;x`, not `/administrator`. */
export function pathMatches(prefix: string, path: string): boolean {
  if (prefix === '/') return true;
  if (!path.startsWith(prefix)) return false;
  const next = path.charAt(prefix.length);
  return next === '' || next === '/' || next === ';';
}

/**
 * The path as the application behind the proxy will most likely understand it, so that a rule on
 * `/admin` cannot be walked around by spelling it `/%61dmin`, `//admin`, `/x/../admin` or
 * `/admin%2Fusers`: percent-escapes decoded (all of them, `%2F` too), backslashes read as slashes,
 * repeated slashes merged, dot segments resolved. Prefix rules then match more spellings, never fewer.
 */
export function normalizeRequestPath(pathname: string): string {
  let decoded = pathname;
  // Twice at most: `%2561` is `%61` once decoded, which some servers decode again.
  for (let i = 0; i < 2 && decoded.includes('%'); i++) decoded = decodeEscapes(decoded);
  const segments: string[] = [];
  for (const segment of decoded.replace(/\\/g, '/').split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return `/${segments.join('/')}`;
}

function decodeEscapes(text: string): string {
  // Run by run of escapes, so multi-byte UTF-8 decodes whole; a run that is not UTF-8 stays as it is.
  return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/** Rules in the order they are tried: longer (more specific) prefixes first, so every rule can match something. */
export function orderRules<T extends { path: string }>(rules: readonly T[]): T[] {
  return [...rules].sort((a, b) => b.path.length - a.path.length || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
