// The codes people type: one home for their shape in the UI (the server's is totp.ts and
// backup-codes.ts; docs/api.md describes both).

/** A code from the app: RFC 6238, 6 digits (docs/api.md). */
export const APP_CODE_DIGITS = 6;

/** The longest code a field takes, as typed (a backup code with its hyphens and spaces): the API's own limit (CodeSchema). */
export const CODE_MAX_LENGTH = 64;

/** Spaces and dashes a paste or a phone app adds are not part of a code: removed before any length check. */
export function normalizeCode(raw: string): string {
  return raw.replace(/[\s\-\u2010-\u2015]/g, '');
}

const APP_CODE = new RegExp(`^\\d{${APP_CODE_DIGITS}}$`);

/** Is this (normalised) code shaped like one from the app, not a backup code? The server decides the same way. */
export function isAppCode(code: string): boolean {
  return APP_CODE.test(code);
}
