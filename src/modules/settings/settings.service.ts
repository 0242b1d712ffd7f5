// Reads and writes Authentication settings. Each instance caches them briefly; docs/api.md promises
// a change reaches every instance within 5 s, so the cache lives 2 s.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { DEFAULT_AUTH_SETTINGS, type AuthSettings, type AuthSettingsPatch } from './auth-settings.js';
import { readSetting, writeSetting } from './settings.repository.js';

const SETTINGS_KEY = 'authentication';
export const SETTINGS_CACHE_MS = 2000;

function parse(value: string | undefined): AuthSettings {
  const stored = value ? (JSON.parse(value) as Partial<AuthSettings>) : {};
  return Object.freeze({ ...DEFAULT_AUTH_SETTINGS, ...stored });
}

export class SettingsService {
  private cached: { value: AuthSettings; until: number } | null = null;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: () => number,
  ) {}

  /** The cached settings if they are fresh, without waiting (the per-request session decision). */
  fresh(): AuthSettings | null {
    return this.cached && this.cached.until > this.clock() ? this.cached.value : null;
  }

  /** The settings as stored now, past the cache: for a decision that must not lag a change made on another instance. */
  async current(): Promise<AuthSettings> {
    return parse(await readSetting(this.db, SETTINGS_KEY));
  }

  async get(): Promise<AuthSettings> {
    const now = this.clock();
    if (this.cached && this.cached.until > now) return this.cached.value;
    const value = parse(await readSetting(this.db, SETTINGS_KEY));
    this.cached = { value, until: now + SETTINGS_CACHE_MS };
    return value;
  }

  /**
   * Applies a validated patch in one transaction with `alongside` (the changes the new settings
   * cause elsewhere, such as starting require-2FA clocks); returns the settings before and after.
   */
  async update(
    patch: AuthSettingsPatch,
    alongside: (trx: Kysely<DB>, before: AuthSettings, after: AuthSettings) => Promise<void> = async () => {},
  ): Promise<{ before: AuthSettings; after: AuthSettings }> {
    const now = this.clock();
    const result = await this.db.transaction().execute(async (trx) => {
      const before = parse(await readSetting(trx, SETTINGS_KEY));
      const after: AuthSettings = { ...before, ...patch };
      await writeSetting(trx, SETTINGS_KEY, JSON.stringify(after), now);
      await alongside(trx, before, after);
      return { before, after };
    });
    this.cached = null;
    return result;
  }
}
