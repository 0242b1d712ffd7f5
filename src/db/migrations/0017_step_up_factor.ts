// Which second factor a session's last step-up proved (issue 36): 'totp' (a code from the app) or
// 'backup_code'; null for a step-up with the password alone, or one from before this column. A
// step-up with an app code lets that session replace its backup codes without typing a second
// code (the step-up just spent it, and the next one is 30 seconds away); a backup code does not.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('reauthenticated_factor', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('reauthenticated_factor').execute();
}
