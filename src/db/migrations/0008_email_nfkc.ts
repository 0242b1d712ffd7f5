// Emails are compared NFKC-normalised and case-folded (`ｕser@x.com` is `user@x.com`). Existing
// rows are brought to that form; if two accounts would become one, nothing changes and the
// migration refuses to run, naming them, so an operator decides which account stays.
import type { Kysely } from 'kysely';

/** Frozen copy of the rule in users.repository.ts normalizeEmail (a migration must not change later). */
function fold(email: string): string {
  return email.normalize('NFKC').toLowerCase().trim();
}

export class EmailCollisionError extends Error {}

export async function up(db: Kysely<any>): Promise<void> {
  const rows = (await db.selectFrom('users').select(['id', 'email']).orderBy('email').execute()) as Array<{ id: string; email: string }>;
  const byFolded = new Map<string, Array<{ id: string; email: string }>>();
  for (const row of rows) {
    const key = fold(row.email);
    byFolded.set(key, [...(byFolded.get(key) ?? []), row]);
  }
  const collisions = [...byFolded.values()].filter((group) => group.length > 1);
  if (collisions.length > 0) {
    const named = collisions.map((group) => group.map((u) => `${JSON.stringify(u.email)} (${u.id})`).join(' and ')).join('; ');
    throw new EmailCollisionError(
      `Emails are now compared NFKC-normalised and lower-cased, and these accounts would become one: ${named}. ` +
        'Change the email of all but one of each group (or delete the duplicates), then run the migration again. Nothing was changed.',
    );
  }
  for (const row of rows) {
    const folded = fold(row.email);
    if (folded !== row.email) await db.updateTable('users').set({ email: folded }).where('id', '=', row.id).execute();
  }
}

export async function down(): Promise<void> {
  // The original spellings are not kept: nothing to undo.
}
