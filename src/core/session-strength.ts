// How strongly a session signed in, from the authentication methods it proved (amr, RFC 8176, as
// core/amr.ts writes them): what an access rule's `factors` is compared with.

/** `password`: one factor. `two_factors`: a password and any second factor. `security_key`: a WebAuthn key or passkey was used. */
export type Strength = 'password' | 'two_factors' | 'security_key';

export const STRENGTHS: readonly Strength[] = ['password', 'two_factors', 'security_key'];

export const STRENGTH_ORDER: Readonly<Record<Strength, number>> = { password: 0, two_factors: 1, security_key: 2 };

/** From the session's stored amr (a JSON array, or null for a session from before it was recorded: a password alone). */
export function strengthOf(amr: string | null): Strength {
  if (amr === null) return 'password';
  // The stored text is our own JSON of short method names: a substring test is exact and cheaper than parsing on every check.
  if (amr.includes('"hwk"')) return 'security_key';
  if (amr.includes('"mfa"')) return 'two_factors';
  return 'password';
}
