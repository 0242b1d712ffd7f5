// What a sign-in at another provider proved about the person, whatever the protocol: an OpenID
// Connect ID token (upstream-sign-in.service.ts) or GitHub's OAuth 2.0 and user API (github.ts).
// The decision (link, offer a link, create, refuse) reads only this, so every provider is judged
// by the same rules.

export interface UpstreamIdentity {
  /** The provider's stable identifier of the person (`sub`; GitHub's numeric user id): what a link names. */
  subject: string;
  /** The provider's address for the person, or null when it gave none. */
  email: string | null;
  /**
   * Whether the provider vouches that the person controls `email`. Only a verified email may link to
   * an existing account or create one: anyone can type someone else's address at some provider.
   */
  emailVerified: boolean;
  name: string | null;
  /** How the person signed in there (RFC 8176 values); empty when the provider does not say. */
  amr: string[];
  acr: string | null;
  /** When the person last signed in there (seconds since the epoch), when the provider says. */
  authTime: number | null;
  /** The provider's other claims, for the audit and for later rules; never trusted for a decision above. */
  claims: Record<string, unknown>;
}
