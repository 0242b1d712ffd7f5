// The Database type Kysely checks every query against. Times are milliseconds since the epoch
// (bigint in PostgreSQL, parsed back to number), booleans are 0/1 integers: one shape for both dialects.
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
}

export interface SessionsTable {
  /** SHA-256 of the cookie token, hex: the token itself is never stored. */
  token_hash: string;
  user_id: string;
  /** full: signed in; pending: right password, waiting for the second factor; restricted: must enrol in 2FA. */
  kind: 'full' | 'pending' | 'restricted';
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  address: string | null;
  /** SHA-256 of the verify-only cookie's token (forward auth, GATEHOUSE_COOKIE_DOMAIN), hex; null without one. */
  verify_token_hash: string | null;
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

export interface DB {
  users: UsersTable;
  sessions: SessionsTable;
  audit_events: AuditEventsTable;
  two_factor: TwoFactorTable;
  backup_codes: BackupCodesTable;
  attempt_counters: AttemptCountersTable;
  trusted_devices: TrustedDevicesTable;
  sign_in_warnings: SignInWarningsTable;
  settings: SettingsTable;
  mail_outbox: MailOutboxTable;
  password_reset_tokens: PasswordResetTokensTable;
  mail_request_counters: MailRequestCountersTable;
}
