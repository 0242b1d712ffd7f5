// Sealing the hash pepper under the master key (pure: where it is stored is the settings module's
// business). The pepper keys backup-code and email hashes, so it survives a key rotation.
import { decryptSecret, deriveSecretBoxKey, encryptSecret } from './secret-box.js';

const PEPPER_AAD = 'gatehouse hash pepper';

export class WrongKeyError extends Error {
  constructor() {
    super(
      'GATEHOUSE_ENCRYPTION_KEY does not open this database (it was set up with another key). Use the original key, or rotate with `gatehouse rotate-key`.',
    );
  }
}

export function sealPepper(master: Buffer, pepper: Buffer): string {
  return encryptSecret(deriveSecretBoxKey(master), pepper.toString('base64'), PEPPER_AAD);
}

export function openPepper(master: Buffer, sealed: string): Buffer {
  try {
    return Buffer.from(decryptSecret(deriveSecretBoxKey(master), sealed, PEPPER_AAD), 'base64');
  } catch {
    throw new WrongKeyError();
  }
}
