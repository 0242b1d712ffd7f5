// Users and groups from a directory (issue 30). An account taken from LDAP or Active Directory is
// linked by the directory's own unique id (entryUUID, objectGUID, ipaUniqueID), never by its email,
// so a renamed or re-mailed person keeps their account, their 2FA and their keys; its
// password_hash is a marker no hash ever equals (the password is checked by a bind). A group the
// sync or a sign-in takes from the directory is marked so: its members follow the directory and
// are read-only in Gatehouse.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('local'))
    .execute();
  await db.schema.alterTable('users').addColumn('directory_id', 'text').execute();
  // Unique where set (NULLs never collide, on both dialects).
  await db.schema.createIndex('users_directory_id').unique().on('users').column('directory_id').execute();
  await db.schema
    .alterTable('groups')
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('local'))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('users_directory_id').execute();
  await db.schema.alterTable('users').dropColumn('directory_id').execute();
  await db.schema.alterTable('users').dropColumn('source').execute();
  await db.schema.alterTable('groups').dropColumn('source').execute();
}
