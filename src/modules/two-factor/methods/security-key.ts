// A security key or passkey (WebAuthn; webauthn/ has the ceremony and the stored credentials): as
// the second step of a password sign-in, or a passkey alone (user verification required).
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { keyAmr } from '../../../core/amr.js';
import type { KeyAssertion, WebauthnService } from '../../webauthn/index.js';
import type { SecondFactorMethod } from './method.js';

export interface KeyAnswer {
  response: AuthenticationResponseJSON;
  purpose: 'second_factor' | 'passkey';
}

export function securityKeyMethod(webauthn: WebauthnService, name: 'webauthn' | 'passkey'): SecondFactorMethod<KeyAnswer, KeyAssertion> {
  return {
    name,
    refusal: 'invalid_security_key',
    offered: (userId) => webauthn.hasKeys(userId),
    verify: (user, answer, address) => webauthn.verifyAssertion(user, answer.response, answer.purpose, address),
    amr: (proof, withPassword) => keyAmr(withPassword, proof.userVerified),
  };
}
