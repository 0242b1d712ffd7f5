// `gatehouse directory sync [--dry-run]` and `gatehouse directory test [--user NAME]` (issue 30).
import { parseArgs } from 'node:util';
import type { Services } from '../services.js';
import { checkDirectory, DirectorySync, DirectoryUnavailable, type SyncReport } from '../modules/directory/index.js';
import { AppError } from '../http/errors.js';

export class DirectoryCommandError extends Error {}

function requireDirectory(s: Services) {
  if (!s.directory) throw new DirectoryCommandError('no directory is configured: set GATEHOUSE_LDAP_URL (see docs/directory.md)');
  return s.directory;
}

export function describeSync(report: SyncReport): string {
  const head = `${report.dryRun ? 'Dry run: would change' : 'Changed'} ${report.changes.length} thing(s); ${report.people} people in the directory, ${report.accounts} Gatehouse accounts from it.`;
  return [head, ...report.changes.map((c) => `  ${c.email}: ${c.change} (${c.detail})`)].join('\n');
}

export async function directoryCommand(
  sub: string | undefined,
  args: string[],
  withServices: <T>(work: (s: Services) => Promise<T>) => Promise<T>,
  out: (text: string) => void,
): Promise<void> {
  switch (sub) {
    case 'sync': {
      const { values } = parseArgs({ args, options: { 'dry-run': { type: 'boolean' } }, strict: true });
      const report = await withServices(async (s) => {
        const directory = requireDirectory(s);
        try {
          return await new DirectorySync({ db: s.db, directory, users: s.users }).run({ dryRun: values['dry-run'] === true, actor: 'cli' });
        } catch (error) {
          if (error instanceof DirectoryUnavailable)
            throw new AppError('directory_unavailable', `The directory is unreachable (${error.reason}): nothing was changed.`);
          throw error;
        }
      });
      out(`${describeSync(report)}\n`);
      return;
    }
    case 'test': {
      const { values } = parseArgs({ args, options: { user: { type: 'string' } }, strict: true });
      const result = await withServices((s) => checkDirectory(requireDirectory(s), s.db, values.user));
      out(`${result.lines.join('\n')}\n`);
      if (!result.ok) throw new DirectoryCommandError('the directory check failed (above)');
      return;
    }
    default:
      throw new DirectoryCommandError(sub ? `unknown directory command "${sub}"` : 'a directory command is required (sync, test)');
  }
}
