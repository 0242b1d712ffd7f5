// Keyset paging over a (time, id) ordering, shared by the two paged lists (users, audit events):
// a page stays exact while rows are added, because a cursor names a position, not an offset.
// The cursor is opaque to callers: base64url JSON of [time, id].
import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely';

export interface Position {
  time: number;
  id: string;
}

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.time, position.id])).toString('base64url');
}

/** The position in `raw`; undefined when `raw` is empty, null when it is not a cursor at all. */
export function decodeCursor(raw: string | undefined): Position | null | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') return { time: value[0] as number, id: value[1] };
  } catch {
    // not a cursor
  }
  return null;
}

export interface PageRequest {
  limit: number;
  cursor?: Position | null;
}

/**
 * One page of `query` ordered by (timeColumn, idColumn) in `direction`, after `cursor`, with the
 * cursor of the next page (null on the last). Reads limit + 1 rows to know whether there is more.
 */
export async function pageByTime<DB, TB extends keyof DB, Row extends Record<string, unknown>>(
  query: SelectQueryBuilder<DB, TB, Row>,
  columns: { time: string & keyof Row; id: string & keyof Row; direction: 'asc' | 'desc' },
  page: PageRequest,
): Promise<{ rows: Row[]; nextCursor: string | null }> {
  // Kysely cannot type a column chosen at run time; the names come from the callers' literals.
  const time = columns.time as never;
  const id = columns.id as never;
  const after = columns.direction === 'asc' ? '>' : '<';
  let q = query;
  const cursor = page.cursor;
  if (cursor) {
    q = q.where((eb: ExpressionBuilder<DB, TB>) =>
      eb.or([eb(time, after, cursor.time as never), eb.and([eb(time, '=', cursor.time as never), eb(id, after, cursor.id as never)])]),
    );
  }
  const rows = await q
    .orderBy(time, columns.direction)
    .orderBy(id, columns.direction)
    .limit(page.limit + 1)
    .execute();
  const shown = rows.slice(0, page.limit);
  const last = shown[shown.length - 1];
  const nextCursor = rows.length > page.limit && last ? encodeCursor({ time: Number(last[columns.time]), id: String(last[columns.id]) }) : null;
  return { rows: shown, nextCursor };
}
