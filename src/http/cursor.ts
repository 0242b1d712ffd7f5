// Opaque paging cursors: a position in a (time, id) ordering, as base64url JSON. Both paged
// lists (users, audit events) sort by a millisecond time and then an id.
import { AppError } from './errors.js';

export interface Position {
  time: number;
  id: string;
}

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.time, position.id])).toString('base64url');
}

/** The position in `raw`, null when there is none; 400 invalid_request when it is not a cursor. */
export function decodeCursor(raw: string | undefined): Position | null {
  if (!raw) return null;
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') return { time: value[0] as number, id: value[1] };
  } catch {
    // fall through
  }
  throw new AppError('invalid_request', 'The cursor is not valid.');
}
