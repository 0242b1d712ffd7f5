// The identity headers a guarded application receives. Header values are bytes, and Node refuses
// to send a character above U+00FF (ERR_INVALID_CHAR), while anything above U+007F would reach
// the application as mojibake at best. So printable ASCII goes as it is, and everything else,
// including `%` itself, is percent-encoded UTF-8: decodeURIComponent in the application always
// gives the exact value back, and an ASCII address that happens to contain `%41` cannot pass for
// another one.

export interface Identity {
  userId: string;
  email: string;
  role: string;
  twoFactorEnabled: boolean;
  /** Group names (lowercase letters, digits, - and _: header-safe as they are). */
  groups: readonly string[];
}

const PRINTABLE_ASCII_BUT_PERCENT = /^[\u0020-\u0024\u0026-\u007e]*$/;

export function headerSafe(value: string): string {
  // Nearly every id, email and role is already safe: one test instead of a replace per call.
  if (PRINTABLE_ASCII_BUT_PERCENT.test(value)) return value;
  // Code point by code point (the u flag); a lone surrogate becomes the bytes of U+FFFD rather than throwing.
  return value.replace(/[^\u0020-\u0024\u0026-\u007e]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

export function identityHeaders(identity: Identity): Record<string, string> {
  return {
    'x-gatehouse-user-id': headerSafe(identity.userId),
    'x-gatehouse-email': headerSafe(identity.email),
    'x-gatehouse-role': headerSafe(identity.role),
    'x-gatehouse-2fa': String(identity.twoFactorEnabled),
    // Comma-separated, as Authelia and Authentik send them; empty for an account in no group.
    'x-gatehouse-groups': identity.groups.join(','),
    'remote-groups': identity.groups.join(','),
  };
}
