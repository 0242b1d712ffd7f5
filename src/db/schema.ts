// The Database type Kysely checks every query against. Times are milliseconds since the epoch
// (bigint in PostgreSQL, parsed back to number), booleans are 0/1 integers: one shape for both dialects.
import type { Generated } from 'kysely';

export interface UsersTable {
  id: string;
  email: string;
  role: 'admin' | 'user';
  password_hash: string;
  blocked: number;
  created_at: number;
  last_sign_in_at: number | null;
  password_changed_at: number;
  /** When a require-2FA policy first applied to this user (null: not required). */
  two_factor_required_since: number | null;
  /** The language of the mail the account is sent ('en' or 'es'). */
  locale: string;
  /** How the account is named besides its email (each ≤ 100 characters, NFC; null: not set). */
  display_name: string | null;
  given_name: string | null;
  family_name: string | null;
  /** local, or directory: the password is the directory's, checked by a bind (migration 0022). */
  source: Generated<'local' | 'directory'>;
  /** The directory's unique id of the person (entryUUID; objectGUID in hex); null for a local account. */
  directory_id: Generated<string | null>;
  /** 1: 2FA is required of this account whatever the policy, with no grace period (an invitation set it; migration 0023). */
  two_factor_required: Generated<number>;
  /** 1 while a self-registered account waits for an administrator's approval: it cannot sign in (migration 0024). */
  awaiting_approval: Generated<number>;
}

export interface SessionsTable {
  /** SHA-256 of the cookie token, hex: the token itself is never stored. */
  token_hash: string;
  user_id: string;
  /**
   * pending: right password, waiting for the second factor. full / restricted: signed in (what the
   * sign-in earned then; whether the session is full or may only enrol is decided on every request).
   */
  kind: 'full' | 'pending' | 'restricted';
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  address: string | null;
  /** Random, unique: how the devices list and its sign-out name a session (never by token hash). */
  public_id: string;
  /** The browser's User-Agent at sign-in, truncated. */
  user_agent: string | null;
  /** The last step-up (password, and code when 2FA is on) in this session; signing in is not one. */
  reauthenticated_at: number | null;
  /** SHA-256 of the verify-only cookie's token (forward auth, GATEHOUSE_COOKIE_DOMAIN), hex; null without one. */
  verify_token_hash: string | null;
}

/**
 * The sessions column migration 0012 added: a JSON array of the authentication methods (RFC 8176)
 * the session proved (null: not recorded). Apart from SessionsTable so the session check's row stays as it is.
 */
export interface SessionFactorsColumn {
  amr: string | null;
}

/**
 * The sessions column migration 0017 added: the second factor the last step-up proved ('totp' or
 * 'backup_code'; null: none, or not recorded). Apart from SessionsTable so the session check's row stays as it is.
 */
export interface SessionStepUpColumn {
  reauthenticated_factor: 'totp' | 'backup_code' | null;
}

export interface AuditEventsTable {
  id: string;
  at: number;
  kind: string;
  actor_id: string | null;
  actor_email: string | null;
  subject_id: string | null;
  subject_email: string | null;
  address: string | null;
  details: string;
  /** 'cli' when the command line acted (actor_id is then null); null otherwise. */
  actor_kind: string | null;
}

export interface TwoFactorTable {
  user_id: string;
  /** AES-256-GCM ciphertext of the TOTP secret, the user id as associated data. */
  secret_ciphertext: string;
  /** null while the setup is pending (scanned, not yet confirmed). */
  enabled_at: number | null;
  /** The last accepted time step: only a later one is accepted (no code works twice). */
  last_used_step: number | null;
  /** JSON array of the offsets, in steps, of the most recent accepted codes. */
  recent_offsets: string;
  created_at: number;
}

export interface BackupCodesTable {
  id: string;
  user_id: string;
  salt: string;
  code_hash: string;
  used_at: number | null;
  created_at: number;
}

export interface AttemptCountersTable {
  /** 'u:<user id>' for an account, 'e:<keyed hash of the email>' for an email with no account. */
  key: string;
  password_failures: number;
  code_failures: number;
  password_in_flight: number;
  code_in_flight: number;
  reserved_at: number;
  locked_until: number | null;
  /** Attempts refused while locked, not yet reported in an `account.lock_refusals` event. */
  refused: number;
}

/** What the owner is told after signing in (failed second steps, locks), until acknowledged. */
export interface SignInWarningsTable {
  user_id: string;
  /** JSON of the API's SignInWarning. */
  warning: string;
  created_at: number;
}

export interface TrustedDevicesTable {
  id: string;
  user_id: string;
  /** SHA-256 of the device cookie's token, hex: the token itself is never stored. */
  token_hash: string;
  /** The browser's User-Agent when trusted (truncated), for the owner's list. */
  label: string;
  address: string | null;
  created_at: number;
  last_used_at: number;
  expires_at: number;
}

export interface MailOutboxTable {
  id: string;
  kind: string;
  recipient: string;
  /** AES-256-GCM of the rendered message, the id as associated data; '' once sent. */
  body: string;
  status: 'queued' | 'sent' | 'failed';
  attempts: number;
  next_attempt_at: number;
  /** The instance holding the message while it sends, until claimed_until (a lease: a crash frees it). */
  claimed_by: string | null;
  claimed_until: number | null;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

/** A first-run setup link (migration 0023): only its SHA-256, valid for an hour while no user exists. */
export interface SetupTokensTable {
  token_hash: string;
  created_at: number;
  expires_at: number;
}

/** One row once the first administrator was set up in the browser: its key makes racing setups end with one. */
export interface SetupClaimTable {
  id: string;
  user_id: string;
  claimed_at: number;
}

/** An invitation by mail (migration 0023). */
export interface InvitationsTable {
  id: string;
  /** SHA-256 of the link's token, hex; a re-send replaces it (the old link stops working). */
  token_hash: string;
  email: string;
  display_name: string | null;
  role: 'admin' | 'user';
  /** JSON array of group names the account joins when it accepts. */
  groups: string;
  require_two_factor: number;
  locale: string;
  /** The inviting administrator's id (null: the command line). */
  invited_by: string | null;
  created_at: number;
  sent_at: number;
  expires_at: number;
  accepted_at: number | null;
  revoked_at: number | null;
  /** The account the invitation became. */
  user_id: string | null;
}

/** A request to register (migration 0024): only the link's SHA-256; a row for a known email too, its link never mailed. */
export interface RegistrationsTable {
  id: string;
  token_hash: string;
  email: string;
  locale: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  /** The account the registration became. */
  user_id: string | null;
}

/** An upstream OpenID Connect provider (migration 0025). */
export interface UpstreamProvidersTable {
  id: string;
  name: string;
  issuer: string;
  client_id: string;
  /** Sealed with the secret box, the provider's id as associated data. */
  client_secret: string;
  trusted_mfa: number;
  enabled: number;
  created_at: number;
  /** 'oidc' (by discovery) or 'github' (OAuth 2.0 and GitHub's user API) (migration 0026). */
  kind: string;
  /** A data: URL the administrator uploaded, or null. */
  logo: string | null;
  /** The ID token claim that lists the person's groups upstream, or null (no mapping). */
  groups_claim: string | null;
  /** JSON object: upstream group value → local group name. */
  group_map: string;
}

/** An account linked to a provider's subject (migration 0025). */
export interface UpstreamLinksTable {
  provider_id: string;
  subject: string;
  user_id: string;
  /** The provider's email when linked (shown to the owner). */
  email: string | null;
  created_at: number;
}

/** One redirect to a provider (migration 0025): keyed by the state's SHA-256, spent once. */
export interface UpstreamFlowsTable {
  state_hash: string;
  provider_id: string;
  /** The PKCE verifier, sealed (associated data: the state's hash). */
  code_verifier: string;
  nonce: string;
  purpose: string;
  return_to: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** An upstream identity waiting for its person to prove the matching account (migration 0025). */
export interface UpstreamLinkTicketsTable {
  token_hash: string;
  provider_id: string;
  subject: string;
  user_id: string;
  email: string;
  return_to: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  /** The SHA-256 of the pending session the link step's password made (migration 0026). */
  pending_session: string | null;
}

/** An email change (migration 0024): confirmed by a link to the new address, undone for 72 h by one to the old. */
export interface EmailChangesTable {
  id: string;
  user_id: string;
  old_email: string;
  new_email: string;
  /** SHA-256 of the link mailed to the new address. */
  confirm_token_hash: string;
  /** SHA-256 of the undo link mailed to the old address once confirmed. */
  undo_token_hash: string | null;
  created_at: number;
  /** Until when the confirmation link works. */
  expires_at: number;
  confirmed_at: number | null;
  undo_until: number | null;
  undone_at: number | null;
  /** Replaced by a newer request, or ended by an undo. */
  cancelled_at: number | null;
}

export interface PasswordResetTokensTable {
  /** SHA-256 of the link's token, hex: the token itself is never stored. */
  token_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** Requests counted per key in a fixed window (password-reset requests per email). */
export interface MailRequestCountersTable {
  key: string;
  window_start: number;
  count: number;
}

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: number;
}

/** Every oidc-provider artifact (code, token, grant, session, interaction…) as one JSON row. */
export interface OidcPayloadsTable {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  account_id: string | null;
  client_id: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}

export interface OidcClientsTable {
  id: string;
  name: string;
  secret_ciphertext: string | null;
  /** JSON arrays of exact addresses. */
  redirect_uris: string;
  post_logout_redirect_uris: string;
  require_2fa: number;
  trusted: number;
  created_at: number;
  /** 1: a legacy confidential application that may sign in without PKCE (migration 0019). */
  pkce_optional: number;
  /** OIDC Back-Channel Logout 1.0 (migration 0021): where logout tokens go, and whether ID tokens carry sid. */
  backchannel_logout_uri: string | null;
  backchannel_logout_session_required: number;
}

/** A Gatehouse session an application got tokens through, and its logout token's state (migration 0021). */
export interface OidcBackchannelLogoutsTable {
  id: string;
  session_hash: string;
  client_id: string;
  account_id: string;
  sid: string;
  status: 'waiting' | 'due' | 'failed';
  attempts: number;
  next_attempt_at: number | null;
  claimed_by: string | null;
  claimed_until: number | null;
  last_error: string | null;
  created_at: number;
}

export interface OidcSigningKeysTable {
  kid: string;
  sealed_jwk: string;
  created_at: number;
  retired_at: number | null;
}

/** One row per running server instance, written on its heartbeat (clock-health). */
export interface InstanceClocksTable {
  id: string;
  /** host:port, for the administrator to tell instances apart. */
  name: string;
  started_at: number;
  /** The instance's own clock at its last heartbeat. */
  reported_at: number;
  /** Its clock minus the database server's, in ms (PostgreSQL); null with SQLite, which has no clock of its own. */
  database_offset_ms: number | null;
  /** Its own latest estimate of its clock error, in ms (positive: ahead); null while no witness tells. */
  error_ms: number | null;
}

/** A security key or passkey (WebAuthn credential). */
export interface WebauthnCredentialsTable {
  /** The credential ID, base64url. */
  id: string;
  user_id: string;
  /** The name the owner gave it. */
  name: string;
  /** The COSE public key, base64url. */
  public_key: string;
  /** The last signature counter seen (0: the authenticator keeps none). */
  counter: number;
  /** JSON array of the transports the browser reported (usb, nfc, internal…). */
  transports: string;
  /** singleDevice | multiDevice (a synced passkey). */
  device_type: string;
  backed_up: number;
  created_at: number;
  last_used_at: number | null;
}

export interface WebauthnChallengesTable {
  /** base64url, as the browser returns it in clientDataJSON. */
  challenge: string;
  purpose: 'register' | 'second_factor' | 'passkey';
  user_id: string | null;
  expires_at: number;
}

/** Who may go where (migration 0018): groups of accounts. Names: lowercase letters, digits, `-`, `_`. */
export interface GroupsTable {
  id: string;
  name: string;
  created_at: number;
  /** local, or directory: its members follow the directory and are read-only here (migration 0022). */
  source: Generated<'local' | 'directory'>;
}

export interface GroupMembersTable {
  group_id: string;
  user_id: string;
  added_at: number;
}

/** An application behind forward auth: a host (`app.example.com`, `*.example.com`, `app.example.com:8443`). */
export interface AccessApplicationsTable {
  id: string;
  name: string;
  host: string;
  created_at: number;
}

/** One rule of an application: who may enter under a path prefix, and with which factors. */
export interface AccessRulesTable {
  id: string;
  application_id: string;
  path: string;
  effect: 'allow' | 'deny';
  /** 1: anyone signed in. */
  anyone: number;
  factors: 'password' | 'two_factors' | 'security_key';
  created_at: number;
}

/** The groups and single accounts an allow rule names (one of the two ids is set). */
export interface AccessRuleSubjectsTable {
  rule_id: string;
  group_id: string | null;
  user_id: string | null;
}

/** An OpenID Connect application open only to these groups (no row: open to everyone). */
export interface OidcClientGroupsTable {
  client_id: string;
  group_id: string;
}

/** One row (id 1): bumped by every change of groups, members or rules; the default for unknown hosts at install. */
export interface AccessStateTable {
  id: number;
  version: number;
  install_default: 'allow' | 'deny';
}

export interface DB {
  users: UsersTable;
  sessions: SessionsTable & SessionFactorsColumn & SessionStepUpColumn;
  audit_events: AuditEventsTable;
  two_factor: TwoFactorTable;
  backup_codes: BackupCodesTable;
  attempt_counters: AttemptCountersTable;
  trusted_devices: TrustedDevicesTable;
  sign_in_warnings: SignInWarningsTable;
  settings: SettingsTable;
  oidc_payloads: OidcPayloadsTable;
  oidc_clients: OidcClientsTable;
  oidc_backchannel_logouts: OidcBackchannelLogoutsTable;
  oidc_signing_keys: OidcSigningKeysTable;
  instance_clocks: InstanceClocksTable;
  webauthn_credentials: WebauthnCredentialsTable;
  webauthn_challenges: WebauthnChallengesTable;
  mail_outbox: MailOutboxTable;
  password_reset_tokens: PasswordResetTokensTable;
  setup_tokens: SetupTokensTable;
  setup_claim: SetupClaimTable;
  invitations: InvitationsTable;
  registrations: RegistrationsTable;
  email_changes: EmailChangesTable;
  mail_request_counters: MailRequestCountersTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  access_applications: AccessApplicationsTable;
  access_rules: AccessRulesTable;
  access_rule_subjects: AccessRuleSubjectsTable;
  oidc_client_groups: OidcClientGroupsTable;
  access_state: AccessStateTable;
  upstream_providers: UpstreamProvidersTable;
  upstream_links: UpstreamLinksTable;
  upstream_flows: UpstreamFlowsTable;
  upstream_link_tickets: UpstreamLinkTicketsTable;
}
