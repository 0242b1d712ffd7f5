// The administrators' list of users: search by email and cursor paging on (created_at, id),
// which stays correct while users are added (new ones sort after every existing cursor).
import { sql, type Kysely } from 'kysely';
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

function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (c) => `!${c}`);
}

export async function listUsers(
  db: Kysely<DB>,
  query: { q?: string; limit: number; cursor: { createdAt: number; id: string } | null },
): Promise<{ rows: UserRow[]; nextCursor: string | null }> {
  let q = db.selectFrom('users').selectAll();
  const search = query.q?.trim().toLowerCase();
  // ESCAPE '!' makes % and _ typed by the admin literal, in SQLite (no default escape) and PostgreSQL alike.
  if (search) q = q.where(sql<boolean>`email LIKE ${`%${escapeLike(search)}%`} ESCAPE '!'`);
  const cursor = query.cursor;
  if (cursor) {
    q = q.where((eb) => eb.or([eb('created_at', '>', cursor.createdAt), eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '>', cursor.id)])]));
  }
  const rows = await q.orderBy('created_at').orderBy('id').limit(query.limit + 1).execute();
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: rows.length > query.limit && last ? encodeUserCursor(last) : null };
}
