// An account's names (display, given, family): the one rule for what may be stored. Pure.
import { AppError } from '../../http/errors.js';

/** Characters a name may hold after trimming (code points, as people count them, not UTF-16 units). */
export const NAME_MAX_LENGTH = 100;

export interface Profile {
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
}

/** Control characters (C0, DEL, C1) and the bidirectional overrides that can disguise a name in a list. */
const FORBIDDEN = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

/**
 * One name as stored: NFC (one spelling of "José" however it was typed), trimmed; empty is null.
 * 400 invalid_request when it is longer than NAME_MAX_LENGTH or holds a control character.
 */
export function normalizeName(value: string | null, field: keyof Profile): string | null {
  if (value === null) return null;
  const name = value.normalize('NFC').trim();
  if (FORBIDDEN.test(name)) throw new AppError('invalid_request', `${field} must not contain control characters.`);
  if ([...name].length > NAME_MAX_LENGTH) throw new AppError('invalid_request', `${field} must be at most ${NAME_MAX_LENGTH} characters.`);
  return name === '' ? null : name;
}

/**
 * A name a directory holds (LDAP `displayName`): taken as well as it can be rather than refused,
 * since the person cannot fix it here: control characters dropped, cut at NAME_MAX_LENGTH.
 */
export function nameFromDirectory(value: string | null): string | null {
  if (value === null) return null;
  const name = [...value.normalize('NFC').replace(new RegExp(FORBIDDEN.source, 'gu'), '').trim()].slice(0, NAME_MAX_LENGTH).join('').trim();
  return name === '' ? null : name;
}

export function normalizeProfile(input: Profile): Profile {
  return {
    displayName: normalizeName(input.displayName, 'displayName'),
    givenName: normalizeName(input.givenName, 'givenName'),
    familyName: normalizeName(input.familyName, 'familyName'),
  };
}
