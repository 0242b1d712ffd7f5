// A security key written from the W3C WebAuthn spec directly with node:crypto (an ES256 key, a
// "none" attestation, the few CBOR bytes by hand), independent of @simplewebauthn, so HTTP tests
// can register and use a key without a browser and without checking the server against itself.
// Chromium's virtual authenticator covers the browser side (test/e2e/webauthn.test.ts).
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

const b64url = (bytes: Buffer) => bytes.toString('base64url');
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();

/** CBOR (RFC 8949) heads: a byte string's and a text string's, of any length a test needs. */
function cborHead(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 256) return Buffer.from([(major << 5) | 24, length]);
  return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
}
const cborBytes = (bytes: Buffer) => Buffer.concat([cborHead(2, bytes.length), bytes]);
const cborText = (text: string) => Buffer.concat([cborHead(3, Buffer.byteLength(text)), Buffer.from(text)]);

/** What the server's options give the key: the challenge (base64url) to sign. */
export interface KeyChallenge {
  challenge: string;
}

export class SoftwareKey {
  private readonly keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  readonly credentialId = randomBytes(16);
  private counter = 0;

  /** `origin`: the site's (GATEHOUSE_PUBLIC_URL); the relying party is its host. */
  constructor(private readonly origin: string) {}

  /** The credential's public key as COSE_Key (RFC 9053 §7.1.1: kty EC2, alg ES256, crv P-256, x, y). */
  private coseKey(): Buffer {
    const jwk = this.keys.publicKey.export({ format: 'jwk' });
    const x = Buffer.from(jwk.x!, 'base64url');
    const y = Buffer.from(jwk.y!, 'base64url');
    return Buffer.concat([Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21]), cborBytes(x), Buffer.from([0x22]), cborBytes(y)]);
  }

  /** Authenticator data (WebAuthn §6.1): the RP ID's hash, flags UP and UV (and AT when a credential is attached), the counter. */
  private authenticatorData(attested: Buffer | null): Buffer {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    const flags = 0x01 | 0x04 | (attested ? 0x40 : 0);
    return Buffer.concat([sha256(new URL(this.origin).hostname), Buffer.from([flags]), counter, ...(attested ? [attested] : [])]);
  }

  private clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false }));
  }

  /** navigator.credentials.create()'s answer, as @simplewebauthn/browser's JSON: attestation "none". */
  register(options: KeyChallenge) {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(this.credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16), length, this.credentialId, this.coseKey()]);
    const attestationObject = Buffer.concat([
      Buffer.from([0xa3]),
      cborText('fmt'),
      cborText('none'),
      cborText('attStmt'),
      Buffer.from([0xa0]),
      cborText('authData'),
      cborBytes(this.authenticatorData(attested)),
    ]);
    return {
      id: b64url(this.credentialId),
      rawId: b64url(this.credentialId),
      type: 'public-key' as const,
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(this.clientData('webauthn.create', options.challenge)),
        attestationObject: b64url(attestationObject),
        transports: ['usb'],
      },
    };
  }

  /** navigator.credentials.get()'s answer: the counter grows, the signature covers authenticatorData ‖ SHA-256(clientDataJSON). */
  assert(options: KeyChallenge) {
    this.counter += 1;
    const authenticatorData = this.authenticatorData(null);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge);
    const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), this.keys.privateKey);
    return {
      id: b64url(this.credentialId),
      rawId: b64url(this.credentialId),
      type: 'public-key' as const,
      clientExtensionResults: {},
      response: { clientDataJSON: b64url(clientDataJSON), authenticatorData: b64url(authenticatorData), signature: b64url(signature) },
    };
  }
}
