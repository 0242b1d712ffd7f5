// What the directory's entries and filters are to Gatehouse: a person as an entry parsed once
// (the unique id, binary ones as hex; the disabled markers of AD, OpenLDAP and FreeIPA), and the
// filters that find a person by a typed name and their groups. A typed value is only ever the
// value of an EqualityFilter or ExtensibleFilter (an assertion value in the BER request, RFC 4511),
// never filter text: ldapts escapes it as RFC 4515 says when it writes the filter as a string.
import { AndFilter, EqualityFilter, ExtensibleFilter, type Filter, FilterParser, OrFilter } from 'ldapts';
import type { Entry } from 'ldapts';
import type { DirectoryConfig } from '../../config.js';

/** One person as the directory has them. */
export interface DirectoryEntry {
  dn: string;
  /** The unique id (entryUUID, ipaUniqueID; objectGUID as hex). */
  id: string;
  mail: string | null;
  /** The display name (cn, displayName): the users' display_name column takes it once it exists. */
  displayName: string | null;
  /** The first login attribute's value (uid, sAMAccountName): memberUid groups name people by it. */
  login: string | null;
  /** Disabled or locked in the directory (AD userAccountControl, OpenLDAP pwdAccountLockedTime, FreeIPA nsAccountLock). */
  disabled: boolean;
}

/** AD userAccountControl (MS-ADTS 2.2.16): ACCOUNTDISABLE and LOCKOUT. */
export const UAC_ACCOUNTDISABLE = 0x2;
export const UAC_LOCKOUT = 0x10;
/** LDAP_MATCHING_RULE_IN_CHAIN (MS-ADTS 3.1.1.3.4.4.3): members of groups of groups, resolved by AD. */
export const IN_CHAIN = '1.2.840.113556.1.4.1941';
/** Id attributes whose values are bytes (kept as hex). */
export const BINARY_IDS = new Set(['objectguid']);

function first(entry: Entry, name: string): string | Buffer | null {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  if (key === undefined) return null;
  const value = entry[key];
  const one = Array.isArray(value) ? value[0] : value;
  return one === undefined || one === '' ? null : one;
}

export function str(entry: Entry, name: string): string | null {
  const value = first(entry, name);
  return value === null ? null : Buffer.isBuffer(value) ? value.toString('utf8') : value;
}

/** The filter that finds the person a typed identifier names: their email or a login attribute. */
export function personFilter(config: Pick<DirectoryConfig, 'userFilter' | 'mailAttribute' | 'loginAttributes'>, identifier: string): Filter {
  const attributes = [config.mailAttribute, ...config.loginAttributes];
  return new AndFilter({
    filters: [
      FilterParser.parseString(config.userFilter),
      new OrFilter({ filters: attributes.map((attribute) => new EqualityFilter({ attribute, value: identifier })) }),
    ],
  });
}

/** The filter of the groups `dn` is a direct member of (or, with in_chain, a member through groups of groups). */
export function groupsFilter(config: Pick<DirectoryConfig, 'groupFilter' | 'memberAttribute' | 'nestedGroups'>, members: readonly string[]): Filter {
  const byMember = members.map((value) =>
    config.nestedGroups === 'in_chain'
      ? new ExtensibleFilter({ rule: IN_CHAIN, matchType: config.memberAttribute, value })
      : new EqualityFilter({ attribute: config.memberAttribute, value }),
  );
  return new AndFilter({ filters: [FilterParser.parseString(config.groupFilter), byMember.length === 1 ? byMember[0]! : new OrFilter({ filters: byMember })] });
}

/** The person an entry is; null without the id attribute. */
export function toEntry(c: DirectoryConfig, entry: Entry): DirectoryEntry | null {
  const rawId = first(entry, c.idAttribute);
  if (rawId === null) return null;
  const id = Buffer.isBuffer(rawId) ? rawId.toString('hex') : rawId;
  const uac = Number(str(entry, 'userAccountControl') ?? '0');
  const disabled =
    (Number.isFinite(uac) && (uac & (UAC_ACCOUNTDISABLE | UAC_LOCKOUT)) !== 0) ||
    str(entry, 'pwdAccountLockedTime') !== null ||
    str(entry, 'nsAccountLock')?.toUpperCase() === 'TRUE';
  const login = c.loginAttributes.length > 0 ? str(entry, c.loginAttributes[0]!) : null;
  return { dn: entry.dn, id, mail: str(entry, c.mailAttribute)?.trim() || null, displayName: str(entry, c.nameAttribute), login, disabled };
}
