// Trusted devices (OWASP "device cookies"): a browser that completes a full sign-in gets a random
// 256-bit token for that account, stored only as its SHA-256 and bound to the account. Attempts that
// present it are counted on the device's own counter, so someone hammering the account elsewhere
// cannot lock its owner out of the browser they always use. The owner lists and revokes devices.
import { readCookie, setCookie } from '../../http/cookies.js';
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { generateSessionToken, hashSessionToken, wellFormedToken } from '../../crypto/tokens.js';
import type { TrustedDevice } from '../../shared/api-types.js';
import * as repo from './trusted-devices.repository.js';
import { accountCounterKey, deviceCounterKey } from '../attempt-limits/attempt-limiter.js';
import { type Notify, notifyNobody } from '../mail/mail-queue.js';

/** A device stays trusted for a year after the full sign-in that made it so. */
export const DEVICE_TRUST_MS = 365 * 24 * 60 * 60 * 1000;
const LABEL_MAX = 200;

export interface DeviceCookieSettings {
  secureCookies: boolean;
}

/** Host-only always (never the session's shared cookie domain); `__Host-` under https. */
export function deviceCookieName(settings: DeviceCookieSettings): string {
  return settings.secureCookies ? '__Host-gatehouse_device' : 'gatehouse_device';
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

  /** The device token the request carries, if well formed (43 base64url characters). */
  tokenOf(request: FastifyRequest): string | null {
    return wellFormedToken(readCookie(request, deviceCookieName(this.settings)));
  }

  /** The id of the trusted device behind `token` for this account, or null. */
  /**
   * The attempt counter for a secret typed for `userId` in this browser: its trusted device's own,
   * or the account's. Signing in and re-authenticating (step-up, password change) both use it, so
   * an attacker who holds the account's counter locked locks neither out of the owner's browser.
   */
  async counterKey(userId: string, token: string | null | undefined): Promise<string> {
    const deviceId = await this.resolve(token, userId);
    return deviceId ? deviceCounterKey(userId, deviceId) : accountCounterKey(userId);
  }

  async resolve(token: string | null | undefined, userId: string): Promise<string | null> {
    if (!token) return null;
    return (await repo.findDevice(this.db, hashSessionToken(token), userId, this.clock()))?.id ?? null;
  }

  /**
   * After a full sign-in: keeps the request's device trusted for this account, or trusts it now
   * (a new token in the cookie, replacing one for another account).
   */
  async remember(request: FastifyRequest, reply: FastifyReply, userId: string): Promise<void> {
    const now = this.clock();
    const current = await this.resolve(this.tokenOf(request), userId);
    if (current) {
      await repo.touchDevice(this.db, current, now);
      return;
    }
    const token = generateSessionToken();
    const expiresAt = now + DEVICE_TRUST_MS;
    const label = String(request.headers['user-agent'] ?? '').slice(0, LABEL_MAX);
    // A full sign-in from a browser without the account's device cookie: a new device, and the
    // owner's notice of it, in one transaction.
    await this.db.transaction().execute(async (trx) => {
      await repo.insertDevice(trx, {
        id: randomUUID(),
        user_id: userId,
        token_hash: hashSessionToken(token),
        label,
        address: request.ip,
        created_at: now,
        last_used_at: now,
        expires_at: expiresAt,
      });
      await this.notify(trx, userId, { kind: 'new_device', at: now, address: request.ip, device: label });
    });
    setCookie(reply, deviceCookieName(this.settings), token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.settings.secureCookies,
      path: '/',
      expires: new Date(expiresAt),
    });
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
