/** Spaces and dashes a paste or a phone app adds are not part of a code: removed before any length check. */
export function normalizeCode(raw: string): string {
  return raw.replace(/[\s\-\u2010-\u2015]/g, '');
}
