// Request and response schemas of the WebAuthn calls. The credential JSON is what
// @simplewebauthn/browser's startRegistration / startAuthentication answer (W3C WebAuthn
// RegistrationResponseJSON / AuthenticationResponseJSON); its binary parts are base64url text,
// bounded here and parsed only by @simplewebauthn/server.
import { Type } from '@sinclair/typebox';

const B64 = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+={0,2}$' });
/** A credential ID is at most 1023 bytes (WebAuthn §5.8.3): 1364 base64url characters. */
const CredentialId = B64(1400);

const common = {
  id: CredentialId,
  rawId: CredentialId,
  type: Type.Literal('public-key'),
  clientExtensionResults: Type.Object({}, { additionalProperties: true }),
  authenticatorAttachment: Type.Optional(Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')])),
};

export const RegistrationResponseSchema = Type.Object(
  {
    ...common,
    response: Type.Object(
      {
        clientDataJSON: B64(4096),
        attestationObject: B64(8192),
        authenticatorData: Type.Optional(B64(4096)),
        transports: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 8 })),
        publicKeyAlgorithm: Type.Optional(Type.Integer()),
        publicKey: Type.Optional(B64(4096)),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, description: 'The JSON of @simplewebauthn/browser startRegistration()' },
);

export const AuthenticationResponseSchema = Type.Object(
  {
    ...common,
    response: Type.Object(
      {
        clientDataJSON: B64(4096),
        authenticatorData: B64(4096),
        signature: B64(1024),
        userHandle: Type.Optional(B64(256)),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, description: 'The JSON of @simplewebauthn/browser startAuthentication()' },
);

export const KeyNameSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '\\S', description: 'The name the owner gives the key' });

export const SecurityKeySchema = Type.Object({
  id: Type.String({ description: 'The credential ID (base64url)' }),
  name: Type.String(),
  createdAt: Type.String(),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  synced: Type.Boolean({ description: 'A passkey synced between devices' }),
});
