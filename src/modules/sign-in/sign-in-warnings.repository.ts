// SQL for the warning an owner is shown after signing in, kept until acknowledged or the next sign-in.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { SignInWarning } from '../../shared/api-types.js';

export async function saveWarning(db: Kysely<DB>, userId: string, warning: SignInWarning | null, now: number): Promise<void> {
  if (!warning) return clearWarning(db, userId);
  const value = JSON.stringify(warning);
  await db
    .insertInto('sign_in_warnings')
    .values({ user_id: userId, warning: value, created_at: now })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ warning: value, created_at: now }))
    .execute();
}

export async function clearWarning(db: Kysely<DB>, userId: string): Promise<void> {
  await db.deleteFrom('sign_in_warnings').where('user_id', '=', userId).execute();
}
