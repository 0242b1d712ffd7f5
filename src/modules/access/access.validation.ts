// What a group name, an application's host, a rule's path and a rule's "who" may be. Each check
// answers the normalized value or throws an AppError('invalid_request') that names the problem, so
// the HTTP API and the command line refuse the same input with the same words.
import { AppError } from '../../http/errors.js';
import { STRENGTHS, type Strength } from '../../core/session-strength.js';

/** At most this many groups in all, rules in all, and groups or people named by one rule. */
export const MAX_GROUPS = 10_000;
export const MAX_RULES = 1_000;
export const MAX_SUBJECTS_PER_RULE = 100;
export const MAX_PATH_LENGTH = 1024;

const GROUP_NAME = /^[a-z0-9_-]{1,64}$/;

export function groupName(raw: string): string {
  if (!GROUP_NAME.test(raw)) {
    throw new AppError('invalid_request', `"${raw.slice(0, 80)}" is not a group name: use 1 to 64 lowercase letters, digits, "-" and "_".`);
  }
  return raw;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** `app.example.com`, `*.example.com` (any sub-domain, not the domain itself) or either with one `:port`. */
export function applicationHost(raw: string): string {
  const host = raw.trim().toLowerCase();
  const bad = (why: string) => new AppError('invalid_request', `"${raw.slice(0, 120)}" is not a host: ${why}`);
  if (host.includes('://')) throw bad('give the host alone, without http:// or https://.');
  if (/[/?#]/.test(host)) throw bad("give the host alone; paths go in the rule's path.");
  const match = /^([^:]+)(?::(.*))?$/.exec(host);
  if (!match) throw bad('expected a name like app.example.com or *.example.com.');
  const [, name, port] = match;
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw bad('the port must be one number from 1 to 65535 (no ranges).');
  }
  const labels = name!.split('.');
  const wildcard = labels[0] === '*';
  const rest = wildcard ? labels.slice(1) : labels;
  if (rest.length < (wildcard ? 2 : 1) || !rest.every((l) => LABEL.test(l))) {
    throw bad('expected a name like app.example.com or *.example.com (letters, digits and "-"; "*." only in front; non-ASCII names in their xn-- form).');
  }
  if (name!.length > 253) throw bad('a host name has at most 253 characters.');
  return port === undefined ? name! : `${name}:${Number(port)}`;
}

/** A rule's path prefix, normalized: leading `/`, no trailing `/` (but `/` itself), no `.` or `..` segments, no query. */
export function rulePath(raw: string): string {
  const bad = (why: string) => new AppError('invalid_request', `"${raw.slice(0, 120)}" is not a path prefix: ${why}`);
  if (!raw.startsWith('/')) throw bad('it must start with "/".');
  if (raw.length > MAX_PATH_LENGTH) throw bad(`at most ${MAX_PATH_LENGTH} characters.`);
  if (/[?#]/.test(raw)) throw bad('no query or fragment: rules match paths only.');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what a path may not carry
  if (/[\s\u0000-\u001f\u007f\\%]/.test(raw))
    throw bad('no spaces, control characters, backslashes or percent-escapes: write the path as the browser shows it.');
  const segments = raw.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) throw bad('no "." or ".." segments.');
  return `/${segments.join('/')}`;
}

/** Who a rule lets in: `anyone`, `group:NAME`, `user:EMAIL` (parsed, not yet looked up). */
export type Who = { kind: 'anyone' } | { kind: 'group'; name: string } | { kind: 'user'; email: string };

export function parseWho(list: readonly string[]): Who[] {
  if (list.length === 0) throw new AppError('invalid_request', 'Say who may enter: anyone, group:NAME or user:EMAIL (or refuse everyone with deny).');
  if (list.length > MAX_SUBJECTS_PER_RULE)
    throw new AppError('invalid_request', `A rule names at most ${MAX_SUBJECTS_PER_RULE} groups and people (got ${list.length}); put the people in a group.`);
  const who = list.map((raw): Who => {
    const entry = raw.trim();
    if (entry === 'anyone') return { kind: 'anyone' };
    if (entry.startsWith('group:')) return { kind: 'group', name: groupName(entry.slice('group:'.length)) };
    if (entry.startsWith('user:') && /^[^\s@]+@[^\s@]+$/.test(entry.slice('user:'.length))) return { kind: 'user', email: entry.slice('user:'.length) };
    throw new AppError('invalid_request', `"${entry.slice(0, 120)}" is not anyone, group:NAME or user:EMAIL.`);
  });
  if (who.some((w) => w.kind === 'anyone') && who.length > 1)
    throw new AppError('invalid_request', '"anyone" already includes every group and person: name it alone.');
  return who;
}

export function strength(raw: string | undefined): Strength {
  if (raw === undefined) return 'password';
  if (!(STRENGTHS as readonly string[]).includes(raw)) throw new AppError('invalid_request', `"${raw}" is not one of ${STRENGTHS.join(', ')}.`);
  return raw as Strength;
}
