// `gatehouse directory test [--user NAME]`: checks the connection, the service bind and the
// filters, and prints what one person resolves to (their entry, groups and Gatehouse account).
// Answers lines for people to read; no secret is ever printed.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { findUserForSignInByDirectoryId } from '../users/index.js';
import { DirectoryUnavailable } from './directory-client.js';
import type { DirectoryService } from './directory.service.js';

export async function checkDirectory(directory: DirectoryService, db: Kysely<DB>, user?: string): Promise<{ ok: boolean; lines: string[] }> {
  const { client } = directory;
  const c = client.config;
  const lines = [`directory: ${c.url} (preset ${c.preset}${c.startTls ? ', StartTLS' : ''}${c.ca ? ', own CA file' : ''}), timeout ${c.timeoutMs} ms`];
  try {
    await client.ping();
    lines.push(`connection and bind as ${c.bindDn}: ok`);
    lines.push(`people (${c.userFilter} under ${c.baseDn}): ${(await client.listPeople()).length}`);
    lines.push(`groups (${c.groupFilter} under ${c.groupBaseDn}): ${await client.countGroups()}; members by ${c.memberAttribute}, nested: ${c.nestedGroups}`);
    if (user === undefined) return { ok: true, lines };
    const entry = await client.findPerson(user);
    if (!entry) {
      lines.push(`"${user}": nobody (or more than one person) has this ${[c.mailAttribute, ...c.loginAttributes].join(' or ')}`);
      return { ok: false, lines };
    }
    lines.push(`"${user}": ${entry.dn}`);
    lines.push(`  ${c.idAttribute}: ${entry.id}`);
    lines.push(`  ${c.mailAttribute}: ${entry.mail ?? '(none: this person cannot sign in, Gatehouse needs an email)'}`);
    lines.push(`  ${c.nameAttribute}: ${entry.displayName ?? '(none)'}`);
    lines.push(`  disabled in the directory: ${entry.disabled ? 'yes (refused)' : 'no'}`);
    lines.push(`  groups: ${(await client.groupsOf(entry)).join(', ') || '(none)'}`);
    const account = await findUserForSignInByDirectoryId(db, entry.id);
    lines.push(
      account
        ? `  Gatehouse account: ${account.email}${account.blocked ? ', blocked' : ''}${account.twoFactorEnabled ? ', 2FA on' : ''}`
        : '  Gatehouse account: none yet (made at the first sign-in)',
    );
    return { ok: true, lines };
  } catch (error) {
    if (!(error instanceof DirectoryUnavailable)) throw error;
    lines.push(`unreachable: ${error.reason}`);
    return { ok: false, lines };
  }
}
