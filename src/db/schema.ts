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
}

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: number;
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

export interface DB {
  users: UsersTable;
  sessions: SessionsTable;
  audit_events: AuditEventsTable;
  two_factor: TwoFactorTable;
  backup_codes: BackupCodesTable;
  attempt_counters: AttemptCountersTable;
  settings: SettingsTable;
  instance_clocks: InstanceClocksTable;
}
