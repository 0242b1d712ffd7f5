// Security keys and passkeys (WebAuthn, on @simplewebauthn/server: no hand-written CBOR or
// attestation parsing). Registration, the key as the second step, and passkey sign-in without the
// password. The origin and relying-party ID are checked by the library against the public URL,
// so an assertion made on a look-alike site (phishing) is refused; each challenge is single-use
// (consumed in the database before the signature is even checked), so a replayed assertion is
// refused; the signature counter must grow, so a cloned authenticator is refused and audited.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../http/errors.js';
import type { AccountRef, RecordAudit } from '../audit/index.js';
import { generateBackupCodes, newBackupCodeRecord } from '../backup-codes/index.js';
import type { SecurityKey } from '../../shared/api-types.js';
import * as repo from './webauthn.repository.js';

/** A ceremony's options are good this long (the browser's own timeout is the same). */
export const CHALLENGE_TTL_MS = 2 * 60_000;

export interface RelyingParty {
  /** GATEHOUSE_PUBLIC_URL's host: credentials are bound to it. */
  id: string;
  name: string;
  /** GATEHOUSE_PUBLIC_URL's origin: the only one whose assertions are accepted. */
  origin: string;
}

export interface WebauthnDeps {
  db: Kysely<DB>;
  keys: { backupCodes: Buffer };
  rp: RelyingParty;
  audit: RecordAudit;
  clock: () => number;
}

/** What a verified assertion proved: whose key, and whether the authenticator verified the user (PIN, biometrics). */
export interface KeyAssertion {
  userId: string;
  credentialId: string;
  userVerified: boolean;
}

const toBase64Url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

export function presentKey(row: repo.CredentialRow): SecurityKey {
  return {
    id: row.id,
    name: row.name,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at == null ? null : new Date(row.last_used_at).toISOString(),
    synced: row.device_type === 'multiDevice',
  };
}

export class WebauthnService {
  constructor(private readonly deps: WebauthnDeps) {}

  private async issue(challenge: string, purpose: repo.ChallengePurpose, userId: string | null): Promise<void> {
    const now = this.deps.clock();
    await repo.deleteExpiredChallenges(this.deps.db, now);
    await repo.saveChallenge(this.deps.db, { challenge, purpose, user_id: userId, expires_at: now + CHALLENGE_TTL_MS });
  }

  /** Consumes the challenge the browser signed, whatever the rest of the check says (single use). */
  private consumer(purpose: repo.ChallengePurpose, userId: string | null): (challenge: string) => Promise<boolean> {
    return (challenge) => repo.consumeChallenge(this.deps.db, challenge, purpose, userId, this.deps.clock());
  }

  async list(userId: string): Promise<SecurityKey[]> {
    return (await repo.listCredentials(this.deps.db, userId)).map(presentKey);
  }

  hasKeys(userId: string): Promise<boolean> {
    return repo.hasCredentials(this.deps.db, userId);
  }

  async registrationOptions(user: AccountRef): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await repo.listCredentials(this.deps.db, user.id);
    const options = await generateRegistrationOptions({
      rpName: this.deps.rp.name,
      rpID: this.deps.rp.id,
      userName: user.email,
      // The account's random id (not the email): every passkey of an account carries the same handle.
      userID: new TextEncoder().encode(user.id),
      attestationType: 'none',
      timeout: CHALLENGE_TTL_MS,
      excludeCredentials: existing.map((c) => ({ id: c.id, transports: JSON.parse(c.transports) as AuthenticatorTransport[] })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
    await this.issue(options.challenge, 'register', user.id);
    return options;
  }

  /** Stores a new key; answers it, and the backup codes when it is the account's first factor (shown once). */
  async register(
    user: AccountRef,
    response: RegistrationResponseJSON,
    name: string,
    address: string | null,
  ): Promise<{ key: SecurityKey; backupCodes: string[] | null }> {
    let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: this.consumer('register', user.id),
        expectedOrigin: this.deps.rp.origin,
        expectedRPID: this.deps.rp.id,
        requireUserVerification: false,
      });
    } catch (error) {
      await this.deps.audit({ kind: 'webauthn.register_failed', actor: user, subject: user, address, details: { reason: reasonOf(error) } });
      throw new AppError('invalid_security_key', 'The security key could not be registered. Try again.').withStatus(400);
    }
    if (!verification.verified || !verification.registrationInfo) throw new AppError('invalid_security_key').withStatus(400);
    const info = verification.registrationInfo;
    const now = this.deps.clock();
    const row: repo.CredentialRow = {
      id: info.credential.id,
      user_id: user.id,
      name,
      public_key: toBase64Url(info.credential.publicKey),
      counter: info.credential.counter,
      transports: JSON.stringify(info.credential.transports ?? response.response.transports ?? []),
      device_type: info.credentialDeviceType,
      backed_up: info.credentialBackedUp ? 1 : 0,
      created_at: now,
      last_used_at: null,
    };
    if (await repo.findCredential(this.deps.db, row.id)) throw new AppError('invalid_security_key', 'This security key is already registered.').withStatus(400);
    const codes = generateBackupCodes();
    const withCodes = await repo.insertCredential(
      this.deps.db,
      row,
      codes.map((c) => newBackupCodeRecord(this.deps.keys.backupCodes, c)),
    );
    await this.deps.audit({
      kind: 'webauthn.registered',
      actor: user,
      subject: user,
      address,
      details: { credential: row.id.slice(0, 16), name, synced: row.device_type === 'multiDevice' },
    });
    return { key: presentKey(row), backupCodes: withCodes ? codes : null };
  }

  async rename(user: AccountRef, id: string, name: string, address: string | null): Promise<void> {
    if (!(await repo.renameCredential(this.deps.db, user.id, id, name))) throw new AppError('not_found');
    await this.deps.audit({ kind: 'webauthn.renamed', actor: user, subject: user, address, details: { credential: id.slice(0, 16), name } });
  }

  /** Removes a key; answers whether it was the last second factor (2FA is then off; `whenLast` ran in its transaction). */
  async remove(user: AccountRef, id: string, address: string | null, whenLast?: (trx: Kysely<DB>) => Promise<void>): Promise<{ lastFactor: boolean }> {
    const removed = await repo.deleteCredential(this.deps.db, user.id, id, whenLast);
    if (removed === null) throw new AppError('not_found');
    await this.deps.audit({ kind: 'webauthn.removed', actor: user, subject: user, address, details: { credential: id.slice(0, 16) } });
    return removed;
  }

  /** Options for the second step: the account's own keys only. */
  async secondFactorOptions(userId: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const keys = await repo.listCredentials(this.deps.db, userId);
    if (keys.length === 0) throw new AppError('no_security_key');
    const options = await generateAuthenticationOptions({
      rpID: this.deps.rp.id,
      timeout: CHALLENGE_TTL_MS,
      userVerification: 'preferred',
      allowCredentials: keys.map((c) => ({ id: c.id, transports: JSON.parse(c.transports) as AuthenticatorTransport[] })),
    });
    await this.issue(options.challenge, 'second_factor', userId);
    return options;
  }

  /** Options for a passkey sign-in: any discoverable credential, and the user must be verified. */
  async passkeyOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const options = await generateAuthenticationOptions({ rpID: this.deps.rp.id, timeout: CHALLENGE_TTL_MS, userVerification: 'required' });
    await this.issue(options.challenge, 'passkey', null);
    return options;
  }

  /** The account a passkey assertion claims to come from (null: no such key), before anything is verified. */
  async claimedUser(response: AuthenticationResponseJSON): Promise<string | null> {
    const row = await repo.findCredential(this.deps.db, response.id);
    return row?.user_id ?? null;
  }

  /**
   * Verifies an assertion for this account (second step: `userId` is the pending sign-in's; passkey:
   * the key's owner, and user verification is required). Null when refused, with the reason audited.
   */
  async verifyAssertion(
    user: AccountRef,
    response: AuthenticationResponseJSON,
    purpose: 'second_factor' | 'passkey',
    address: string | null,
  ): Promise<KeyAssertion | null> {
    const refuse = async (reason: string) => {
      await this.deps.audit({ kind: 'webauthn.failed', actor: null, subject: user, address, details: { reason, purpose } });
      return null;
    };
    const row = await repo.findCredential(this.deps.db, response.id);
    if (!row || row.user_id !== user.id) return refuse('unknown_key');
    let info: Awaited<ReturnType<typeof verifyAuthenticationResponse>>['authenticationInfo'];
    try {
      const verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: this.consumer(purpose, purpose === 'passkey' ? null : user.id),
        expectedOrigin: this.deps.rp.origin,
        expectedRPID: this.deps.rp.id,
        requireUserVerification: purpose === 'passkey',
        // The counter is compared below (the clone case is ours to audit), so the library sees 0.
        credential: { id: row.id, publicKey: Buffer.from(row.public_key, 'base64url'), counter: 0 },
      });
      if (!verification.verified) return refuse('signature');
      info = verification.authenticationInfo;
    } catch (error) {
      return refuse(reasonOf(error));
    }
    // W3C WebAuthn §6.1.1: a counter that does not grow means two authenticators share this key.
    const cloned = (row.counter > 0 || info.newCounter > 0) && info.newCounter <= row.counter;
    if (cloned || !(await repo.recordUse(this.deps.db, row.id, info.newCounter, this.deps.clock()))) {
      await this.deps.audit({
        kind: 'webauthn.clone_suspected',
        actor: null,
        subject: user,
        address,
        details: { credential: row.id.slice(0, 16), stored: row.counter, presented: info.newCounter },
      });
      return null;
    }
    await this.deps.audit({
      kind: 'webauthn.used',
      actor: user,
      subject: user,
      address,
      details: { credential: row.id.slice(0, 16), purpose, userVerified: info.userVerified },
    });
    return { userId: row.user_id, credentialId: row.id, userVerified: info.userVerified };
  }
}

/** A short reason for the audit log (the library's message names the failed check; never a secret). */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/challenge/i.test(message)) return 'challenge';
  if (/origin/i.test(message)) return 'origin';
  if (/rp ?id/i.test(message)) return 'rp_id';
  if (/user ?verif/i.test(message)) return 'user_verification';
  if (/signature/i.test(message)) return 'signature';
  return 'invalid_response';
}
