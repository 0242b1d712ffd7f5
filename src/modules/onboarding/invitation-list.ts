// The administrator's list of people to invite, as typed in the textarea: one person per line,
// either just an email or CSV columns `email, name, groups, role` (groups separated by spaces or
// ";"), with an optional header line. Parsed by csv-parse (quoted names with commas work); pure.
import { parse } from 'csv-parse/sync';
import { AppError } from '../../http/errors.js';

export const MAX_INVITATIONS_PER_LIST = 200;

export interface InvitationLine {
  /** The line number in the list (1-based), for errors that name it. */
  line: number;
  email: string;
  name: string | null;
  groups: string[];
  role: 'admin' | 'user' | null;
}

const EMAIL = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+$/u;

export function parseInvitationList(text: string): InvitationLine[] {
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true, comment: '#', comment_no_infix: true, info: false });
  } catch (error) {
    throw new AppError('invalid_request', `The list is not valid CSV: ${(error as Error).message.slice(0, 200)}`);
  }
  const lines: InvitationLine[] = [];
  const problems: string[] = [];
  records.forEach((columns, index) => {
    const [rawEmail = '', rawName = '', rawGroups = '', rawRole = ''] = columns;
    // A header line ("email,name,groups,role") is allowed at the top.
    if (index === 0 && rawEmail.toLowerCase() === 'email') return;
    const line = index + 1;
    if (columns.length > 4) problems.push(`line ${line}: at most 4 columns (email, name, groups, role)`);
    if (!EMAIL.test(rawEmail)) problems.push(`line ${line}: "${rawEmail.slice(0, 80)}" is not an email address`);
    const role = rawRole === '' ? null : rawRole.toLowerCase();
    if (role !== null && role !== 'admin' && role !== 'user') problems.push(`line ${line}: the role must be admin or user (got "${rawRole.slice(0, 20)}")`);
    lines.push({
      line,
      email: rawEmail,
      name: rawName === '' ? null : rawName,
      groups: rawGroups.split(/[\s;]+/).filter((g) => g !== ''),
      role: role as InvitationLine['role'],
    });
  });
  if (problems.length > 0) throw new AppError('invalid_request', problems.slice(0, 10).join('; '), { problems });
  if (lines.length === 0) throw new AppError('invalid_request', 'The list names nobody: one email per line.');
  if (lines.length > MAX_INVITATIONS_PER_LIST) throw new AppError('invalid_request', `At most ${MAX_INVITATIONS_PER_LIST} people per list.`);
  return lines;
}
