// Query-string helpers shared by routes: free-text fields and paging cursors.
import { Type } from '@sinclair/typebox';
import { decodeCursor, type Position } from '../db/paging.js';
import { AppError } from './errors.js';

/** No control characters (NUL above all: PostgreSQL text cannot hold it, and no one types it). */
export const NO_CONTROL = '\\u0000-\\u001f\\u007f';

/** Free text in a query string (search, filters, cursors). */
export function QueryText(maxLength: number) {
  return Type.String({ maxLength, pattern: `^[^${NO_CONTROL}]*$` });
}

/** The paging position a caller sent; 400 invalid_request when it is not one of ours. */
export function cursorParam(raw: string | undefined): Position | null {
  const position = decodeCursor(raw);
  if (position === null) throw new AppError('invalid_request', 'The cursor is not valid.');
  return position ?? null;
}
