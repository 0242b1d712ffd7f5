// Operator commands that work on the database as a whole: rotating GATEHOUSE_ENCRYPTION_KEY
// (backups: backup.ts).
import type { Config } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { decryptSecret, deriveSecretBoxKey, encryptSecret } from '../crypto/secret-box.js';
import { resealPepper } from '../modules/settings/index.js';
import { listSecretCiphertexts, updateSecretCiphertext } from '../modules/two-factor/index.js';
import { secretAad } from '../modules/oidc/index.js';
import { resealOidcSecrets } from '../modules/oidc/index.js';
import { resealUpstreamSecrets } from '../modules/upstream/index.js';

export class MaintenanceError extends Error {}

/**
 * Re-encrypts every TOTP secret, the hash pepper, the OpenID Connect signing keys and client secrets, and the upstream providers' secrets from the old master key to the one now in
 * GATEHOUSE_ENCRYPTION_KEY, in one transaction: either every row moves to the new key or none does.
 */
export async function rotateKey(config: Config, oldKey: Buffer, clock: () => number = Date.now): Promise<number> {
  const newKey = config.encryptionKey;
  if (!newKey) throw new MaintenanceError('set GATEHOUSE_ENCRYPTION_KEY to the new key (the old one is read from standard input)');
  if (newKey.equals(oldKey)) throw new MaintenanceError('the new key is the same as the old one');
  const database = openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(database.db);
    const oldBox = deriveSecretBoxKey(oldKey);
    const newBox = deriveSecretBoxKey(newKey);
    return await database.db.transaction().execute(async (trx) => {
      await resealPepper(trx, oldKey, newKey, clock());
      const rows = await listSecretCiphertexts(trx);
      for (const row of rows) {
        let secret: string;
        try {
          secret = decryptSecret(oldBox, row.secret_ciphertext, row.user_id);
        } catch {
          throw new MaintenanceError('the old key does not decrypt the stored secrets; nothing was changed');
        }
        await updateSecretCiphertext(trx, row.user_id, encryptSecret(newBox, secret, row.user_id));
      }
      await resealOidcSecrets(trx, oldBox, newBox, secretAad);
      await resealUpstreamSecrets(trx, oldBox, newBox);
      return rows.length;
    });
  } finally {
    await database.close();
  }
}
