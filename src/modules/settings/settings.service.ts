// Reads and writes Authentication settings. Each instance caches them briefly; API.md promises
// a change reaches every instance within 5 s, so the cache lives 2 s.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { DEFAULT_AUTH_SETTINGS, type AuthSettings, type AuthSettingsPatch } from './auth-settings.js';

const SETTINGS_KEY = 'authentication';
export const SETTINGS_CACHE_MS = 2000;

export class SettingsService {
  private cached: { value: AuthSettings; until: number } | null = null;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(): Promise<AuthSettings> {
    const now = this.clock();
    if (this.cached && this.cached.until > now) return this.cached.value;
    const row = await this.db.selectFrom('settings').select('value').where('key', '=', SETTINGS_KEY).executeTakeFirst();
    const stored = row ? (JSON.parse(row.value) as Partial<AuthSettings>) : {};
    const value = Object.freeze({ ...DEFAULT_AUTH_SETTINGS, ...stored });
    this.cached = { value, until: now + SETTINGS_CACHE_MS };
    return value;
  }

  /** Applies a validated patch; returns the settings before and after. */
  async update(patch: AuthSettingsPatch): Promise<{ before: AuthSettings; after: AuthSettings }> {
    const now = this.clock();
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('settings').select('value').where('key', '=', SETTINGS_KEY).executeTakeFirst();
      const before = { ...DEFAULT_AUTH_SETTINGS, ...(row ? (JSON.parse(row.value) as Partial<AuthSettings>) : {}) };
      const after = { ...before, ...patch };
      await trx
        .insertInto('settings')
        .values({ key: SETTINGS_KEY, value: JSON.stringify(after), updated_at: now })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(after), updated_at: now }))
        .execute();
      this.cached = null;
      return { before, after };
    });
  }
}
