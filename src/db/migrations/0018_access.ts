// Who may go where (issue 27): groups and their members; applications guarded by forward auth
// (a host, exact or `*.example.com`) with ordered rules on path prefixes, each naming who may
// enter (anyone signed in, groups, single users) or refusing everyone, and how strongly they must
// have signed in; OpenID Connect applications restricted to groups. `access_state` holds one row:
// the version every change bumps in its own transaction (each instance keeps the rules in memory
// and reloads them when the version it reads moves), and the default for a host no application
// names, chosen here once: `allow` for a database that already has accounts (what forward auth did
// before), `deny` for a new install.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('group_members')
    .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('added_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
    .execute();
  // Every forward-auth check reads one account's groups.
  await db.schema.createIndex('group_members_user_id').on('group_members').column('user_id').execute();

  await db.schema
    .createTable('access_applications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    // Lowercase; `*.example.com` for any sub-domain; `:8443` for one port only.
    .addColumn('host', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('access_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('application_id', 'text', (c) => c.notNull().references('access_applications.id').onDelete('cascade'))
    .addColumn('path', 'text', (c) => c.notNull())
    // allow | deny
    .addColumn('effect', 'text', (c) => c.notNull())
    // 1: anyone signed in (an allow rule without subjects names only its subjects).
    .addColumn('anyone', 'integer', (c) => c.notNull())
    // password | two_factors | security_key
    .addColumn('factors', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('access_rules_application_path', ['application_id', 'path'])
    .execute();
  await db.schema
    .createTable('access_rule_subjects')
    .addColumn('rule_id', 'text', (c) => c.notNull().references('access_rules.id').onDelete('cascade'))
    // A group a rule names cannot be deleted (restrict): the rule would silently name nobody.
    .addColumn('group_id', 'text', (c) => c.references('groups.id').onDelete('restrict'))
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .execute();
  await db.schema.createIndex('access_rule_subjects_rule_id').on('access_rule_subjects').column('rule_id').execute();
  await db.schema.createIndex('access_rule_subjects_group_id').on('access_rule_subjects').column('group_id').execute();

  await db.schema
    .createTable('oidc_client_groups')
    .addColumn('client_id', 'text', (c) => c.notNull().references('oidc_clients.id').onDelete('cascade'))
    .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id').onDelete('restrict'))
    .addPrimaryKeyConstraint('oidc_client_groups_pk', ['client_id', 'group_id'])
    .execute();
  await db.schema.createIndex('oidc_client_groups_group_id').on('oidc_client_groups').column('group_id').execute();

  await db.schema
    .createTable('access_state')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('install_default', 'text', (c) => c.notNull())
    .execute();
  const existing = await db.selectFrom('users').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
  await db
    .insertInto('access_state')
    .values({ id: 1, version: 1, install_default: Number(existing.n) > 0 ? 'allow' : 'deny' })
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['access_state', 'oidc_client_groups', 'access_rule_subjects', 'access_rules', 'access_applications', 'group_members', 'groups']) {
    await db.schema.dropTable(table).execute();
  }
}
