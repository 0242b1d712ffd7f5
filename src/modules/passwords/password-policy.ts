// Password rules, after NIST SP 800-63B §5.1.1.2: a minimum length, a generous maximum, and
// a check against commonly used passwords (zxcvbn-ts with its maintained dictionaries) rather
// than composition rules.
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';
import { AppError } from '../../http/errors.js';
import type { PasswordProblem } from '../../shared/api-types.js';

export const PASSWORD_MIN_LENGTH = 10;
/** Refused before any hashing: Argon2 work must not grow with attacker-chosen input. */
export const PASSWORD_MAX_LENGTH = 256;
/** zxcvbn score 0–1 means fewer than 10^6 guesses: a very common or trivially derived password. */
const MIN_ZXCVBN_SCORE = 2;

const estimator = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...english.dictionary },
  graphs: common.adjacencyGraphs,
  translations: english.translations,
});

export type { PasswordProblem };

export function checkPassword(password: string, context: string[] = []): PasswordProblem | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return 'too_short';
  if (password.length > PASSWORD_MAX_LENGTH) return 'too_long';
  if (estimator.check(password, context).score < MIN_ZXCVBN_SCORE) return 'too_common';
  return null;
}

export const PASSWORD_PROBLEM_MESSAGES: Record<PasswordProblem, string> = {
  too_short: `The password must have at least ${PASSWORD_MIN_LENGTH} characters.`,
  too_long: `The password must have at most ${PASSWORD_MAX_LENGTH} characters.`,
  too_common: 'This password is too common or too easy to guess. Choose another.',
};

/** Applies the password rules; throws 400 weak_password with the reason. */
export function assertStrongPassword(password: string, email: string): void {
  const problem = checkPassword(password, [email, email.split('@')[0] ?? '', 'gatehouse']);
  if (problem) throw new AppError('weak_password', PASSWORD_PROBLEM_MESSAGES[problem], { reason: problem });
}
