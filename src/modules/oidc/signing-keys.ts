// The keys that sign ID tokens: generated at first start, kept sealed under the master key
// (AES-256-GCM, the kid as associated data), rotated with `gatehouse oidc rotate-keys`. A retired
// key stays in the JWKS until every token it signed has expired, so applications holding one can
// still check it.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { decryptSecret, encryptSecret } from '../../crypto/secret-box.js';
import * as repo from './oidc.repository.js';

/** ID tokens live this long (seconds); the provider's configuration uses the same constant. */
export const ID_TOKEN_TTL_SECONDS = 3600;
/** A retired key is published this much longer than the longest-lived token it could have signed. */
const RETIRED_KEY_KEEP_MS = ID_TOKEN_TTL_SECONDS * 1000 + 3600_000;

const keyAad = (kid: string) => `oidc-signing-key ${kid}`;

export type PrivateJwk = Record<string, unknown> & { kid: string };

/** RS256 (RSA 2048): the algorithm every OpenID Connect client must support (Core §15.1). */
function newSigningKey(secretBox: Buffer, now: number): repo.SigningKeyRow {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(12).toString('base64url');
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  return { kid, sealed_jwk: encryptSecret(secretBox, JSON.stringify(jwk), keyAad(kid)), created_at: now, retired_at: null };
}

/** The keys to publish, the signing one first (oidc-provider signs with the first key of an algorithm). */
export async function loadSigningKeys(db: Kysely<DB>, secretBox: Buffer, now: number): Promise<PrivateJwk[]> {
  let rows = await repo.listSigningKeys(db);
  if (rows.length === 0) {
    await repo.insertFirstSigningKey(db, newSigningKey(secretBox, now));
    rows = await repo.listSigningKeys(db);
  }
  return rows
    .filter((row) => row.retired_at === null || row.retired_at > now - RETIRED_KEY_KEEP_MS)
    .map((row) => JSON.parse(decryptSecret(secretBox, row.sealed_jwk, keyAad(row.kid))) as PrivateJwk);
}

/** A new signing key; the current one retires (still published a while); long-retired ones go. Answers the new kid. */
export async function rotateSigningKeys(db: Kysely<DB>, secretBox: Buffer, now: number): Promise<string> {
  const row = newSigningKey(secretBox, now);
  await repo.rotateSigningKey(db, row, now - RETIRED_KEY_KEEP_MS);
  return row.kid;
}

export const signingKeysVersion = repo.signingKeysVersion;

/** Master-key rotation: re-seals every signing key and client secret (inside the caller's transaction). */
export async function resealOidcSecrets(trx: Kysely<DB>, oldBox: Buffer, newBox: Buffer, clientAad: (id: string) => string): Promise<void> {
  for (const row of await repo.listSigningKeys(trx)) {
    await repo.updateSealedKey(trx, row.kid, encryptSecret(newBox, decryptSecret(oldBox, row.sealed_jwk, keyAad(row.kid)), keyAad(row.kid)));
  }
  for (const row of await repo.listClientSecrets(trx)) {
    const aad = clientAad(row.id);
    await repo.updateClientSecret(trx, row.id, encryptSecret(newBox, decryptSecret(oldBox, row.secret_ciphertext, aad), aad));
  }
}
