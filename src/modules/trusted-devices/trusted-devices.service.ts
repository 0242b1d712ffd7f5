// Trusted devices (OWASP "device cookies"): a browser that completes a full sign-in gets a random
// 256-bit token for that account, stored only as its SHA-256 and bound to the account. Attempts that
// present it are counted on the device's own counter, so someone hammering the account elsewhere
// cannot lock its owner out of the browser they always use. The owner lists and revokes devices.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { generateSessionToken, hashSessionToken } from '../../crypto/tokens.js';
import type { TrustedDevice } from '../../shared/api-types.js';
import * as repo from './trusted-devices.repository.js';
import { accountCounterKey, deviceCounterKey } from '../../core/counter-keys.js';
import { type Notify, notifyNobody } from '../mail/index.js';

/** A device stays trusted for a year after the full sign-in that made it so. */
export const DEVICE_TRUST_MS = 365 * 24 * 60 * 60 * 1000;
const LABEL_MAX = 200;

export interface DeviceCookieSettings {
  secureCookies: boolean;
}

/** The browser as seen for one account: its device token, and the trusted device behind it (if any). */
export interface RecognisedBrowser {
  userId: string;
  token: string | null;
  /** The trusted device of this account behind the token; null: not (or no longer) trusted. */
  deviceId: string | null;
  /** The attempt counter a secret typed in this browser for this account spends. */
  counterKey: string;
}

/** A device token to put in the browser's device cookie. */
export interface IssuedDeviceToken {
  token: string;
  expiresAt: number;
}

export class TrustedDevicesService {
  private readonly db: Kysely<DB>;
  private readonly settings: DeviceCookieSettings;
  private readonly clock: () => number;
  private readonly notify: Notify;

  constructor(deps: { db: Kysely<DB>; settings: DeviceCookieSettings; clock: () => number; notify?: Notify }) {
    this.notify = deps.notify ?? notifyNobody;
    this.db = deps.db;
    this.settings = deps.settings;
    this.clock = deps.clock;
  }

  /** Cookie flags, for the HTTP edge (device-cookie.ts). */
  get cookies(): DeviceCookieSettings {
    return this.settings;
  }

  /** Resolves the browser's device token for this account once; the sign-in then uses the answer throughout. */
  async recognise(userId: string, token: string | null): Promise<RecognisedBrowser> {
    const deviceId = await this.resolve(token, userId);
    return { userId, token, deviceId, counterKey: deviceId ? deviceCounterKey(userId, deviceId) : accountCounterKey(userId) };
  }

  /**
   * The attempt counter for a secret typed for `userId` in this browser: its trusted device's own,
   * or the account's. Signing in and re-authenticating (step-up, password change) both use it, so
   * an attacker who holds the account's counter locked locks neither out of the owner's browser.
   */
  async counterKey(userId: string, token: string | null): Promise<string> {
    return (await this.recognise(userId, token)).counterKey;
  }

  /** The id of the trusted device behind `token` for this account, or null. */
  async resolve(token: string | null | undefined, userId: string): Promise<string | null> {
    if (!token) return null;
    return (await repo.findDevice(this.db, hashSessionToken(token), userId, this.clock()))?.id ?? null;
  }

  /**
   * After a full sign-in: keeps the browser's device trusted for this account, or trusts it now
   * (answering a new token for the cookie, replacing one for another account).
   */
  async remember(browser: RecognisedBrowser, from: { userAgent: string | null; address: string | null }): Promise<IssuedDeviceToken | null> {
    const now = this.clock();
    if (browser.deviceId) {
      await repo.touchDevice(this.db, browser.deviceId, now);
      return null;
    }
    const token = generateSessionToken();
    const expiresAt = now + DEVICE_TRUST_MS;
    const label = (from.userAgent ?? '').slice(0, LABEL_MAX);
    // A full sign-in from a browser without the account's device cookie: a new device, and the
    // owner's notice of it, in one transaction.
    await this.db.transaction().execute(async (trx) => {
      await repo.insertDevice(trx, {
        id: randomUUID(),
        user_id: browser.userId,
        token_hash: hashSessionToken(token),
        label,
        address: from.address,
        created_at: now,
        last_used_at: now,
        expires_at: expiresAt,
      });
      await this.notify(trx, browser.userId, { kind: 'new_device', at: now, address: from.address, device: label });
    });
    return { token, expiresAt };
  }

  async list(userId: string, currentToken: string | null): Promise<TrustedDevice[]> {
    const current = await this.resolve(currentToken, userId);
    const iso = (ms: number) => new Date(ms).toISOString();
    return (await repo.listDevices(this.db, userId, this.clock())).map((d) => ({
      id: d.id,
      label: d.label,
      address: d.address,
      createdAt: iso(d.created_at),
      lastUsedAt: iso(d.last_used_at),
      expiresAt: iso(d.expires_at),
      current: d.id === current,
    }));
  }

  revoke(userId: string, id: string): Promise<boolean> {
    return /^[0-9a-f-]{36}$/i.test(id) ? repo.deleteDevice(this.db, userId, id) : Promise.resolve(false);
  }

  deleteExpired(): Promise<void> {
    return repo.deleteExpiredDevices(this.db, this.clock());
  }
}
