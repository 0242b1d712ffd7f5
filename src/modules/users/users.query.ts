// The administrators' list of users: search by email prefix and cursor paging on (created_at, id),
// which stays correct while users are added (new ones sort after every existing cursor).
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { UserRow } from './users.repository.js';
import { encodeCursor, type Position } from '../../http/cursor.js';

/** The smallest string greater than every string starting with `prefix` (byte/code-point order). */
export function prefixUpperBound(prefix: string): string {
  return prefix + '\u{10FFFF}';
}

export async function listUsers(
  db: Kysely<DB>,
  query: { q?: string; limit: number; cursor: Position | null },
): Promise<{ rows: UserRow[]; nextCursor: string | null }> {
  let q = db.selectFrom('users').selectAll();
  const search = query.q?.trim().toLowerCase();
  // Emails starting with the search text: a range on the unique email index, so it stays fast at
  // millions of users (a substring LIKE would scan them all). % and _ are plain characters here.
  if (search) q = q.where('email', '>=', search).where('email', '<', prefixUpperBound(search));
  const cursor = query.cursor;
  if (cursor) {
    q = q.where((eb) => eb.or([eb('created_at', '>', cursor.time), eb.and([eb('created_at', '=', cursor.time), eb('id', '>', cursor.id)])]));
  }
  const rows = await q.orderBy('created_at').orderBy('id').limit(query.limit + 1).execute();
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: rows.length > query.limit && last ? encodeCursor({ time: last.created_at, id: last.id }) : null };
}
