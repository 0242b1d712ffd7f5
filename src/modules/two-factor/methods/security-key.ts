// A security key or passkey (WebAuthn; webauthn/ has the ceremony and the stored credentials): as
// the second step of a password sign-in, or a passkey alone (user verification required).
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { keyAmr } from '../../../core/amr.js';
import type { KeyAssertion, WebauthnService } from '../../webauthn/index.js';
import type { SecondFactorMethod } from './method.js';

/** `webauthn`: the second step after a password (the account's keys); `passkey`: a discoverable credential alone. */
export function securityKeyMethod(webauthn: WebauthnService, name: 'webauthn' | 'passkey'): SecondFactorMethod<AuthenticationResponseJSON, KeyAssertion> {
  const purpose = name === 'passkey' ? 'passkey' : 'second_factor';
  return {
    name,
    refusal: 'invalid_security_key',
    offered: (userId) => webauthn.hasKeys(userId),
    verify: (user, response, address) => webauthn.verifyAssertion(user, response, purpose, address),
    amr: (proof, withPassword) => keyAmr(withPassword, proof.userVerified),
  };
}
