// A second factor, as the second step sees it (the shape of Ory Kratos's strategies): what the
// account is offered, how an answer is checked, and what a session proven with it reports. Adding
// a method is adding one file beside this one; second-step.service.ts runs every method through
// the same attempt limits and audit.
import type { AccountRef } from '../../audit/index.js';
import type { CodeRefusal } from '../two-factor.service.js';

export type SecondFactorName = 'totp' | 'backup_code' | 'webauthn' | 'passkey';

export interface SecondFactorMethod<Input, Proof> {
  readonly name: SecondFactorName;
  /** The error a refused answer gets (a code and a key fail differently in the UI). */
  readonly refusal: 'invalid_code' | 'invalid_security_key';
  /** Does the account have this method (may the second step offer it)? */
  offered(userId: string): Promise<boolean>;
  /**
   * Checks the answer and spends it (each code and each challenge works once); null when it proves
   * nothing, with `refusal.reused` set when it was a right code already spent.
   */
  verify(user: AccountRef, input: Input, address: string | null, refusal: CodeRefusal): Promise<Proof | null>;
  /** RFC 8176 methods a session proven with this answer reports (with the password, when there was one). */
  amr(proof: Proof, withPassword: boolean): readonly string[];
}
