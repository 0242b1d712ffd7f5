// The shapes the API sends and the web UI shows: one definition that the server's presenters and
// services and the React pages both check against (docs/api.md describes the same shapes for people).
// Types only, and no imports at all: the browser build includes this file, so nothing from Node
// or from the server may come in through it.

export type Role = 'admin' | 'user';

/** A user as the API shows them (sign-in, GET /api/session). The password hash never leaves. */
export interface User {
  id: string;
  email: string;
  role: Role;
  twoFactorEnabled: boolean;
  /** ISO time: the require-2FA policy's deadline for this account, while it has no 2FA. */
  twoFactorRequiredBy?: string;
  /** Only in GET /api/session for a session that may do nothing but enrol in 2FA. */
  restricted?: boolean;
  /** GET /api/session: the account's language (its mail's); the UI adopts it, PUT /api/me/locale changes it. */
  locale?: AccountLocale;
  /** The account's names (null: not set); in GET /api/session and the users list, not in sign-in answers. */
  displayName?: string | null;
  givenName?: string | null;
  familyName?: string | null;
}

/** PUT /api/me/profile, PUT /api/admin/users/:id/profile: each ≤ 100 characters after trimming, or null. */
export interface ProfileInput {
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
}

/** A user as administrators see them in the users list. */
export interface AdminUser extends User {
  createdAt: string;
  lastSignInAt: string | null;
  /** ISO time: the end of a timed lock in force (null when none). */
  lockedUntil: string | null;
  /** 100 consecutive failures: refused (to browsers without a device cookie) until an administrator unlocks. */
  lockedPermanently: boolean;
  blocked: boolean;
  /** A self-registered account waiting for an administrator's approval: it cannot sign in yet. */
  awaitingApproval: boolean;
  /** The require-2FA policy applies to this account (and it has no 2FA yet, for requiredBy/overdue). */
  twoFactorRequired: boolean;
  twoFactorOverdue: boolean;
  /** The second factors the account has: the app (`totp`), security keys or passkeys (`webauthn`). */
  factors: TwoFactorKind[];
  /** The groups the account is a member of, by name (issue 27). */
  groups: string[];
}

/** A second factor: a code from the app, or a security key / passkey (WebAuthn). */
export type TwoFactorKind = 'totp' | 'webauthn';

/** GET /api/me/webauthn: one registered security key or passkey. */
export interface SecurityKey {
  /** The credential ID (base64url). */
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  /** A passkey synced between devices (multi-device credential). */
  synced: boolean;
}

/** GET /api/me/webauthn */
export interface SecurityKeysAnswer {
  keys: SecurityKey[];
  /** Unused backup codes (they come with the first factor, key or app). */
  backupCodesLeft: number;
}

/** POST /api/me/webauthn/register: the key, and the backup codes (shown once) when it is the first factor. */
export interface SecurityKeyRegistered {
  key: SecurityKey;
  backupCodes?: string[];
}

/** GET /api/admin/users */
export interface UserPage {
  users: AdminUser[];
  nextCursor: string | null;
}

/** GET /api/session */
export interface SessionAnswer {
  user: User;
  restricted?: boolean;
  warning?: SignInWarning;
  /** A full session whose owner may delete the account themselves (the selfDeletion setting): the security page offers it. */
  canDeleteAccount?: boolean;
}

/** POST /api/session (the password step). */
export type SignInAnswer =
  | { status: 'authenticated'; user: User; warning?: SignInWarning }
  | { status: 'second_factor_required' }
  | { status: 'two_factor_setup_required' };

/** POST /api/session/second-factor */
export type SecondFactorAnswer =
  | { status: 'authenticated'; user: User; method: 'totp' | 'webauthn' | 'passkey'; warning?: SignInWarning }
  | { status: 'authenticated'; user: User; method: 'backup_code'; backupCodesLeft: number; warning?: SignInWarning };

/** GET /api/me/trusted-devices: a browser trusted for this account by its device cookie. */
export interface TrustedDevice {
  id: string;
  /** The browser's User-Agent when it was trusted. */
  label: string;
  /** From the label, named as "Your devices" names the same browser (e.g. "Chrome 131", "Linux"); null when unknown. */
  browser?: string | null;
  system?: string | null;
  address: string | null;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  /** The browser making this request. */
  current: boolean;
}

/**
 * Told to the owner after a full sign-in (and in GET /api/session until acknowledged or the next
 * sign-in): since their previous sign-in, someone failed the second step or locked the account.
 */
export interface SignInWarning {
  failedCodeAttempts: number;
  locks: number;
  /** ISO time and address of the latest of those events. */
  lastAt: string;
  lastAddress: string | null;
}

/** One signed-in session of the account (GET /api/me/sessions): "Your devices". */
export interface DeviceSession {
  /** The session's public id (never its token or token hash). */
  id: string;
  /** From the User-Agent at sign-in, e.g. "Firefox 133"; null when unknown. */
  browser: string | null;
  system: string | null;
  address: string | null;
  signedInAt: string;
  lastActiveAt: string;
  /** The session this request came with. */
  current: boolean;
}

/** GET /api/me/sessions */
export interface DeviceSessionList {
  sessions: DeviceSession[];
}

/** GET /api/redirect-target: the address if the sign-in page may return there, null otherwise. */
export interface RedirectTarget {
  redirect: string | null;
}

/** GET /api/me/2fa */
export interface TwoFactorStatus {
  enabled: boolean;
  enabledAt: string | null;
  backupCodesLeft: number;
  /** The phone clock's apparent offset, learned from accepted codes; null until known. */
  clockOffsetSeconds: number | null;
}

/** POST /api/me/2fa/setup: a new secret, its key URI and QR code. */
export interface TwoFactorSetup {
  accountName: string;
  issuer: string;
  key: string;
  otpauthUri: string;
  qrSvg: string;
}

/** POST /api/me/2fa/enable and POST /api/me/2fa/backup-codes: the codes, shown once. */
export interface BackupCodesAnswer {
  backupCodes: string[];
}

export type Require2fa = 'off' | 'admins' | 'everyone';

/** GET and PUT /api/admin/settings/authentication */
export interface AuthSettings {
  passwordAttempts: number;
  codeAttempts: number;
  lockoutSeconds: number;
  require2fa: Require2fa;
  require2faGraceDays: number;
  /** Self-registration: off, open, or open with each account approved by an administrator first. */
  registration: Registration;
  /** Domains a registering address must be at (exact, lower case); empty: any. */
  registrationDomains: string[];
  /** The local group every self-registered account joins, or null. */
  registrationGroup: string | null;
  /** People may delete their own account (step-up, and their email typed as confirmation). */
  selfDeletion: boolean;
}

export type Registration = 'off' | 'open' | 'approval';

export interface AccountRef {
  id: string;
  email: string;
}

export interface AuditEvent {
  id: string;
  at: string;
  kind: string;
  /** null for the command line and for events with no account acting (actorKind tells them apart). */
  actor: AccountRef | null;
  /** 'account': `actor` acted; 'cli': the command line on the server; null: nobody known. */
  actorKind: 'account' | 'cli' | null;
  subject: AccountRef | null;
  address: string | null;
  details: Record<string, unknown>;
}

/** GET /api/admin/audit */
export interface AuditPage {
  events: AuditEvent[];
  nextCursor: string | null;
}

/** An application that signs people in with OpenID Connect (GET /api/admin/applications). */
export interface Application {
  id: string;
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** No secret: a browser or native app, which must use PKCE. */
  public: boolean;
  /** Every sign-in to it needs a second factor. */
  require2fa: boolean;
  /** Skips the consent page. */
  trusted: boolean;
  /** A legacy confidential application allowed to sign in without PKCE (every other one must use it). */
  legacyNoPkce: boolean;
  /** Only members of these groups may use it; empty: everyone who can sign in. */
  allowedGroups: string[];
  /** OIDC Back-Channel Logout: where it hears that a Gatehouse session it signed in through ended (null: it does not). */
  backchannelLogoutUri: string | null;
  /** Its ID tokens carry sid (backchannel_logout_session_required); logout tokens always do. */
  backchannelLogoutSessionRequired: boolean;
  createdAt: string;
}

export interface ApplicationList {
  applications: Application[];
}

/** POST /api/admin/applications: the secret is shown this once (none for a public application). */
export interface CreatedApplication {
  client_id: string;
  client_secret?: string;
  application: Application;
}

/** GET /api/me/applications: the applications a person allowed, each revocable. */
export interface GrantedApplication {
  clientId: string;
  name: string;
  scopes: string[];
}

export interface GrantedApplicationList {
  applications: GrantedApplication[];
}

/**
 * GET /api/oidc/interactions/:uid: an application asked Gatehouse to sign someone in; `step` is
 * what is still needed: sign in, the second step, enrolment in 2FA, consent, or nothing (continue).
 */
export interface InteractionDetails {
  application: { name: string };
  scopes: string[];
  /** reauthenticate: prompt=login or max_age asks for the password again (and the code with 2FA), through POST /api/session/step-up. */
  step: 'sign_in' | 'reauthenticate' | 'second_factor' | 'enrol' | 'consent' | 'continue';
  /** The application's login_hint: the sign-in form's email. */
  loginHint?: string;
  /** At the reauthenticate step: whether the step-up also asks for a code. */
  twoFactorEnabled?: boolean;
}

/** Where the browser goes next: back to the provider, which answers the application. */
export interface InteractionRedirect {
  redirect: string;
}

/** Why a new password was refused (weak_password's `reason`); the UI translates each one. */
export type PasswordProblem = 'too_short' | 'too_long' | 'too_common';

/**
 * Why a code was refused, when that helps its owner (invalid_code's `reason`; clients that do not
 * know it still see invalid_code): `code_reused`, the code from the app was right but already used
 * (wait for the next one); `server_clock`, this server's clock seems off (second step of sign-in).
 */
export type CodeProblem = 'code_reused' | 'server_clock';

/** Every error code the API answers; the UI translates each one (locales: errors.<code>). */
export type ApiErrorCode =
  | 'invalid_request'
  | 'invalid_setup_token'
  | 'registration_closed'
  | 'registration_domain'
  | 'invalid_registration'
  | 'registration_used'
  | 'registration_expired'
  | 'awaiting_approval'
  | 'not_awaiting_approval'
  | 'setup_token_expired'
  | 'setup_done'
  | 'invalid_invitation'
  | 'invitation_used'
  | 'invitation_revoked'
  | 'invitation_expired'
  | 'overlapping_rule'
  | 'step_up_required'
  | 'access_denied'
  | 'group_exists'
  | 'group_in_use'
  | 'directory_group'
  | 'password_managed_by_directory'
  | 'email_managed_by_directory'
  | 'invalid_email_change'
  | 'email_change_used'
  | 'email_change_expired'
  | 'email_change_cancelled'
  | 'email_change_outdated'
  | 'directory_unavailable'
  | 'application_exists'
  | 'upstream_discovery_failed'
  | 'no_pending_link'
  | 'upstream_subject_linked'
  | 'last_way_to_sign_in'
  | 'weak_password'
  | 'invalid_code'
  | 'invalid_security_key'
  | 'code_required'
  | 'invalid_reset_token'
  | 'reset_token_used'
  | 'reset_token_expired'
  | 'invalid_credentials'
  | 'unauthenticated'
  | 'no_pending_sign_in'
  | 'blocked'
  | 'forbidden'
  | 'cross_site'
  | 'two_factor_setup_required'
  | 'two_factor_required'
  | 'reauthentication_required'
  | 'not_found'
  | 'method_not_allowed'
  | 'email_taken'
  | 'already_enabled'
  | 'not_enabled'
  | 'no_pending_setup'
  | 'no_security_key'
  | 'cannot_change_self'
  | 'last_admin'
  | 'confirmation_mismatch'
  | 'self_deletion_off'
  | 'enrol_two_factor_first'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'locked'
  | 'rate_limited'
  | 'internal'
  | 'unavailable';

/** Any error answer: the code, a message for people, and the extras some codes carry. */
export interface ApiErrorBody {
  error: ApiErrorCode;
  message: string;
  /** locked, rate_limited: seconds until trying again is allowed (also the Retry-After header). */
  retryAfterSeconds?: number;
  /** weak_password: which rule; invalid_code: why, when it helps (see CodeProblem). */
  reason?: PasswordProblem | CodeProblem;
  /** invalid_code at the second step of sign-in: wrong codes left before the account locks. */
  attemptsLeft?: number;
  /** invalid_code at POST /api/me/2fa/enable: the code fits a phone clock this far off (positive: ahead). */
  clockOffsetSeconds?: number;
}

/** POST /api/admin/users/:id/password-reset: 202 when mailed; 200 with the link when no SMTP server is configured. */
export type AdminPasswordResetAnswer = { sent: true } | { link: string; expiresAt: string };

/** GET /api/me/email: the account's email, and whether the directory keeps it (then it is changed there, not here). */
export interface EmailStatus {
  email: string;
  managedByDirectory: boolean;
}

/** POST /api/me/email: 202, the same answer whether or not another account has the address. */
export interface EmailChangeRequested {
  sentTo: string;
}

/** POST /api/email-change/confirm and /undo: the account's email now. */
export interface EmailChangeDone {
  email: string;
}

/** The languages of the UI and of the mail an account is sent (PUT /api/me/locale). */
export type AccountLocale = 'en' | 'es';

/** How strongly a session signed in, or what an access rule asks: one factor, two, or a security key (WebAuthn) used. */
export type AccessFactors = 'password' | 'two_factors' | 'security_key';

/** GET /api/admin/groups: one group. */
export interface Group {
  id: string;
  name: string;
  members: number;
  createdAt: string;
  /** directory: taken from LDAP / Active Directory; its members follow it and are read-only here. */
  source: 'local' | 'directory';
}

/** GET /api/admin/groups/:id */
export interface GroupDetail extends Omit<Group, 'members'> {
  members: Array<{ id: string; email: string; addedAt: string }>;
}

/** One rule of a forward-auth application. `who`: `anyone`, `group:NAME`, `user:EMAIL` (empty for a deny rule). */
export interface AccessRule {
  id: string;
  applicationId: string;
  host: string;
  path: string;
  effect: 'allow' | 'deny';
  who: string[];
  factors: AccessFactors;
}

/** A host guarded by forward auth, with its rules in the order they are tried (most specific path first). */
export interface AccessApplication {
  id: string;
  name: string;
  host: string;
  createdAt: string;
  rules: AccessRule[];
}

/** GET /api/admin/access */
export interface AccessOverview {
  /** What a host no application names gets. */
  default: 'allow' | 'deny';
  /** Where that default comes from: GATEHOUSE_ACCESS_DEFAULT, or what the install chose at upgrade. */
  defaultFrom: 'environment' | 'install';
  applications: AccessApplication[];
}

export type AccessReason = 'allowed' | 'default_allow' | 'default_deny' | 'no_address' | 'no_rule' | 'rule_denies' | 'not_listed' | 'factors_too_weak';

/** GET /api/admin/access/check and `gatehouse access check`: the decision for one person and address, and why. */
export interface AccessCheck {
  outcome: 'allow' | 'deny' | 'step_up';
  reason: AccessReason;
  /** One sentence, in English, for the command line and the log. */
  explanation: string;
  application: { id: string; name: string; host: string } | null;
  rule: AccessRule | null;
  /** factors_too_weak: what the rule asks. */
  needs?: AccessFactors;
  /** The person's groups now. */
  groups: string[];
  factors: AccessFactors;
}

/** An invitation as the administrators' list shows it (never its link: that is only in the mail). */
export type InvitationState = 'pending' | 'accepted' | 'revoked' | 'expired';

export interface Invitation {
  id: string;
  email: string;
  displayName: string | null;
  role: Role;
  groups: string[];
  requireTwoFactor: boolean;
  locale: 'en' | 'es';
  state: InvitationState;
  createdAt: string;
  sentAt: string;
  expiresAt: string;
  acceptedAt: string | null;
  revokedAt: string | null;
}

/** What an invitation link opens to, before the password is set (GET /api/invitations/current). */
export interface InvitationPreview {
  email: string;
  displayName: string | null;
  requireTwoFactor: boolean;
  locale: 'en' | 'es';
  expiresAt: string;
}

/** GET /api/registration: whether people may register themselves, and at which domains (empty: any). */
export interface RegistrationPolicy {
  registration: Registration;
  domains: string[];
}

/** POST /api/registration/preview: what a registration link is for. */
export interface RegistrationPreview {
  email: string;
  locale: 'en' | 'es';
  /** An administrator approves the account before it can sign in. */
  approval: boolean;
}

/** POST /api/admin/invitations: who was invited; `link` only when it was not mailed (no SMTP). */
export interface SentInvitation {
  id: string;
  email: string;
  link?: string;
}

/** A provider the sign-in page offers as a "Sign in with …" button (GET /api/upstream/providers). */
export interface UpstreamProviderSummary {
  id: string;
  name: string;
  /** The logo the administrator uploaded, as a data: URL (never a third-party address), or null. */
  logo: string | null;
}

/** An upstream provider as administrators see it (never its secret). */
export interface AdminUpstreamProvider {
  id: string;
  /** oidc: by discovery; github: OAuth 2.0 and GitHub's user API. */
  kind: 'oidc' | 'github';
  name: string;
  issuer: string;
  clientId: string;
  trustedMfa: boolean;
  enabled: boolean;
  logo: string | null;
  /** The ID token claim listing the person's groups upstream (null: no mapping). */
  groupsClaim: string | null;
  /** Upstream group value → local group name; each sign-in sets the account's membership of these groups. */
  groupMap: Record<string, string>;
  createdAt: string;
}

/** Where a provider is: any OpenID Connect issuer, or a preset (POST /api/admin/upstream `preset`). */
export type ProviderPreset = 'oidc' | 'google' | 'entra' | 'gitlab' | 'github';

/** The sign-in waiting to be linked (GET /api/upstream/link). */
export interface PendingUpstreamLink {
  provider: { id: string; name: string };
  email: string;
  expiresAt: string;
}

/** What POST /api/upstream/link and POST /api/upstream/link/second-factor answer (the user left out). */
export type UpstreamLinkAnswer =
  | { status: 'authenticated'; returnTo?: string | null }
  | { status: 'second_factor_required' }
  | { status: 'two_factor_setup_required' };

/** One of the owner's linked providers (GET /api/me/upstream). */
export interface UpstreamLink {
  providerId: string;
  providerName: string;
  email: string | null;
  createdAt: string;
}

/**
 * Why a sign-in with another provider came back to `/sign-in?upstream_error=<code>` (nothing was
 * created): the provider refused or the person cancelled, the flow's state was wrong, missing or
 * spent, it took over 10 minutes, the provider's answer or ID token did not validate, the email was
 * not verified, registration is closed (or not open to the domain), the account is blocked or
 * awaits approval, the provider is disabled or does not answer, or what the provider says of the
 * person (its email or name) cannot make an account here (invalid_profile).
 */
export type UpstreamErrorCode =
  | 'access_denied'
  | 'invalid_state'
  | 'replayed'
  | 'expired'
  | 'invalid_token'
  | 'unverified_email'
  | 'registration_closed'
  | 'registration_domain'
  | 'blocked'
  | 'awaiting_approval'
  | 'provider_unavailable'
  | 'invalid_profile';
