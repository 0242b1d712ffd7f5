// The administrators' list of users: search by email prefix and cursor paging on (created_at, id),
// which stays correct while users are added (new ones sort after every existing cursor).
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { UserRow } from './users.repository.js';

export function encodeUserCursor(row: { created_at: number; id: string }): string {
  return Buffer.from(JSON.stringify([row.created_at, row.id])).toString('base64url');
}

export function decodeUserCursor(raw: string | undefined): { createdAt: number; id: string } | null | 'invalid' {
  if (!raw) return null;
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') return { createdAt: value[0] as number, id: value[1] };
  } catch {
    // fall through
  }
  return 'invalid';
}

/** The smallest string greater than every string starting with `prefix` (byte/code-point order). */
export function prefixUpperBound(prefix: string): string {
  return prefix + '\u{10FFFF}';
}

export async function listUsers(
  db: Kysely<DB>,
  query: { q?: string; limit: number; cursor: { createdAt: number; id: string } | null },
): Promise<{ rows: UserRow[]; nextCursor: string | null }> {
  let q = db.selectFrom('users').selectAll();
  const search = query.q?.trim().toLowerCase();
  // Emails starting with the search text: a range on the unique email index, so it stays fast at
  // millions of users (a substring LIKE would scan them all). % and _ are plain characters here.
  if (search) q = q.where('email', '>=', search).where('email', '<', prefixUpperBound(search));
  const cursor = query.cursor;
  if (cursor) {
    q = q.where((eb) => eb.or([eb('created_at', '>', cursor.createdAt), eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '>', cursor.id)])]));
  }
  const rows = await q.orderBy('created_at').orderBy('id').limit(query.limit + 1).execute();
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: rows.length > query.limit && last ? encodeUserCursor(last) : null };
}
