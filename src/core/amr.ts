// Authentication methods (RFC 8176) a session proved, as OpenID Connect reports them in `amr`.

/** A password alone. */
export const AMR_PASSWORD: readonly string[] = ['pwd'];
/** A password and a code (from the app, or a backup code). */
export const AMR_TWO_FACTOR: readonly string[] = ['pwd', 'otp', 'mfa'];

/** A security key: hwk (a hardware-secured key), user (the authenticator verified the user), mfa. */
export function keyAmr(withPassword: boolean, userVerified: boolean): string[] {
  return [...(withPassword ? ['pwd'] : []), 'hwk', ...(userVerified ? ['user'] : []), 'mfa'];
}

/**
 * A sign-in at another provider (RFC 8176 `fed`: federated authentication), and `mfa` when that
 * provider is trusted for it and its ID token said the person used several factors there.
 */
export function federatedAmr(trustedMfa: boolean): string[] {
  return trustedMfa ? ['fed', 'mfa'] : ['fed'];
}

/**
 * The factors of a sign-in completed by a second step: the first step's (a password, or `fed`
 * after another provider) and the second's. A federated first step never reports `pwd`: no
 * password was typed here.
 */
export function withSecondStep(federated: boolean, second: readonly string[]): string[] {
  const methods = federated ? ['fed', ...second.filter((m) => m !== 'pwd')] : [...second];
  return [...new Set(methods)];
}
