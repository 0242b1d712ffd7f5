// The account's language (the language of its mail) is the person's choice, never the browser's:
// it changes only when they pick En / Es. A pick not yet saved (made while signed out or only
// enrolling, or a PUT cut short by a reload) waits in this tab's sessionStorage, so it wins over the
// account's stored language at the next load instead of being lost.
import type { AccountLocale } from '../../src/shared/api-types';
import { api } from './api';

const PICKED = 'gatehouse.language.picked';

export function pickedLanguage(): AccountLocale | null {
  const value = sessionStorage.getItem(PICKED);
  return value === 'en' || value === 'es' ? value : null;
}

export function rememberPick(language: AccountLocale): void {
  sessionStorage.setItem(PICKED, language);
}

/** The account has the language picked: nothing left to save. */
export function forgetPick(): void {
  sessionStorage.removeItem(PICKED);
}

/** Saves a pick to the account (PUT /api/me/locale); forgotten once saved, unless picked again meanwhile. */
export async function saveLanguage(language: AccountLocale): Promise<void> {
  rememberPick(language);
  await api('PUT', '/api/me/locale', { locale: language });
  if (pickedLanguage() === language) forgetPick();
}
