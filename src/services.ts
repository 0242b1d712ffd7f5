// The composition root: every service built once, each given exactly what it uses (explicit
// wiring). buildApp hands each route module the services it needs; tests build their own with a
// fresh database and an injected clock.
import type { Kysely } from 'kysely';
import type { Config } from './config.js';
import type { Database, DialectName } from './db/database.js';
import type { DB } from './db/schema.js';
import { deriveKeys, type Keys } from './crypto/secret-box.js';
import { PasswordService } from './modules/account/index.js';
import { insertAuditEvent, type RecordAudit } from './modules/audit/index.js';
import { createMetrics, type Metrics } from './modules/ops/index.js';
import { createPasswordHasher, type Argon2Params, type PasswordHasher } from './modules/passwords/index.js';
import { deleteUserSessions, type EndAccountAccess, SessionsService } from './modules/sessions/index.js';
import { TrustedDevicesService } from './modules/trusted-devices/index.js';
import { loadPepper } from './modules/settings/index.js';
import { SettingsService } from './modules/settings/index.js';
import { AttemptLimiter } from './modules/attempt-limits/index.js';
import { SignInService } from './modules/sign-in/index.js';
import { ClockWitness } from './modules/clock-health/index.js';
import { StepUpService } from './modules/step-up/index.js';
import { RequireTwoFactorPolicy } from './modules/two-factor/index.js';
import { SecondStepService, TwoFactorService } from './modules/two-factor/index.js';
import { UsersService, nameFromDirectory, setUserDisplayName } from './modules/users/index.js';
import { ClientsService } from './modules/oidc/index.js';
import { GrantsService } from './modules/oidc/index.js';
import { InteractionsService } from './modules/oidc/index.js';
import { OidcService, revokeAllGrantsOf } from './modules/oidc/index.js';
import { WebauthnService } from './modules/webauthn/index.js';
import { createMail, defaultOutboxDir, type Mail, withLockNotices } from './modules/mail/index.js';
import { countOutboxByStatus, toMailLocale } from './modules/mail/index.js';
import { PasswordResetService } from './modules/password-reset/index.js';
import { AccessPolicy, AccessRulesService, bumpAccessVersion, GroupsService } from './modules/access/index.js';
import { InvitationsService, RegistrationService, SetupService } from './modules/onboarding/index.js';
import { cancelPendingEmailChanges } from './modules/email-change/index.js';
import type { Role } from './modules/users/index.js';
import { usersWithTwoFactor } from './modules/two-factor/index.js';
import { usersWithCredentials } from './modules/webauthn/index.js';
import { DirectoryClient, DirectoryService } from './modules/directory/index.js';
import { endUpstreamAccess } from './modules/upstream/index.js';

export interface Services {
  readonly config: Config;
  readonly database: Database;
  readonly db: Kysely<DB>;
  readonly dialect: DialectName;
  readonly clock: () => number;
  readonly keys: Keys;
  readonly metrics: Metrics;
  readonly audit: RecordAudit;
  readonly hasher: PasswordHasher;
  readonly settings: SettingsService;
  readonly limiter: AttemptLimiter;
  /** Ends every session and OpenID Connect grant of an account, inside the caller's transaction. */
  readonly endAccountAccess: EndAccountAccess;
  readonly sessions: SessionsService;
  readonly devices: TrustedDevicesService;
  readonly twoFactor: TwoFactorService;
  readonly policy: RequireTwoFactorPolicy;
  readonly signIn: SignInService;
  readonly passwords: PasswordService;
  readonly users: UsersService;
  readonly clients: ClientsService;
  readonly oidc: OidcService;
  readonly interactions: InteractionsService;
  readonly grants: GrantsService;
  readonly stepUp: StepUpService;
  readonly webauthn: WebauthnService;
  readonly secondStep: SecondStepService;
  readonly clockWitness: ClockWitness;
  readonly mail: Mail;
  readonly resets: PasswordResetService;
  readonly groups: GroupsService;
  /** First run in the browser: the setup link and the first administrator. */
  readonly setup: SetupService;
  readonly invitations: InvitationsService;
  /** Self-registration (off unless Authentication settings open it) and its approvals. */
  readonly registrations: RegistrationService;
  readonly accessRules: AccessRulesService;
  readonly accessPolicy: AccessPolicy;
  /** Accounts from LDAP / Active Directory (GATEHOUSE_LDAP_URL); null: local accounts only. */
  readonly directory: DirectoryService | null;
}

export async function createServices(
  config: Config,
  database: Database,
  options: {
    masterKey: Buffer;
    clock?: () => number;
    argon2Params?: Argon2Params;
    defaultMetrics?: boolean;
    /** Where mail goes without SMTP (default: outbox/ beside the SQLite file, or ./data/outbox). */
    outboxDir?: string;
    /** How often the mail worker looks for due messages (default 1 s). */
    mailPollMs?: number;
  },
): Promise<Services> {
  const db = database.db;
  const clock = options.clock ?? Date.now;
  let queueSize = () => 0;
  let directoryUp: () => number | null = () => null;
  const metrics = createMetrics({
    defaultMetrics: options.defaultMetrics,
    hashQueueWaiting: () => queueSize(),
    mailCounts: () => countOutboxByStatus(db),
    poolCounts: database.poolCounts,
    directoryUp: config.directory ? () => directoryUp() : undefined,
  });
  const hasher = await createPasswordHasher({
    params: options.argon2Params,
    concurrency: config.hashConcurrency,
    queueLimit: config.hashQueueLimit,
    observe: (seconds) => metrics.hashSeconds.observe(seconds),
  });
  queueSize = () => hasher.queue.pending;
  const keys = deriveKeys(options.masterKey, await loadPepper(db, options.masterKey, clock()));
  const audit: RecordAudit = (event) => insertAuditEvent(db, event, clock());
  const mail = createMail({
    db,
    smtpUrl: config.smtpUrl,
    mailFrom: config.mailFrom,
    publicUrl: config.publicUrl,
    secretBox: keys.secretBox,
    clock,
    metrics,
    outboxDir: options.outboxDir ?? defaultOutboxDir(database.sqlitePath),
    pollMs: options.mailPollMs,
  });
  const notify = mail.notify;
  const settings = new SettingsService(db, clock);
  const limiter = new AttemptLimiter({ db, settings, audit: withLockNotices(db, clock, notify), clock });
  // Every way an account's sessions end (password change or reset, 2FA off, sign out everywhere,
  // an administrator's end or block) also ends its OpenID Connect grants and refresh tokens: a
  // stolen cookie's lasting access goes with the cookie, on every instance (issue 28).
  const endAccountAccess: EndAccountAccess = async (trx, userId, except) => {
    await deleteUserSessions(trx, userId, except);
    await revokeAllGrantsOf(trx, userId);
    // An email change still waiting for its link dies with the access that asked for it: a thief's
    // request must not outlive the owner's reset, a block or "sign out everywhere".
    await cancelPendingEmailChanges(trx, userId, clock());
    // So do its links to other providers (a thief's link must not outlive the owner's recovery).
    await endUpstreamAccess(trx, userId);
  };
  const sessions = new SessionsService({ db, readRow: database.readRow, settings: config, clock, authSettings: settings, endAccountAccess });
  const devices = new TrustedDevicesService({ db, settings: config, clock, notify });
  const twoFactor = new TwoFactorService({ db, keys, issuer: config.issuer, audit, clock, notify, endAccountAccess });
  const policy = new RequireTwoFactorPolicy({ db, settings, clock });
  const clockWitness = new ClockWitness();
  // Keys are bound to the public URL's host and accepted only from its origin (phishing resistance).
  const rp = { id: config.publicUrl.hostname, name: config.issuer, origin: config.publicUrl.origin };
  const webauthn = new WebauthnService({ db, keys, rp, audit, clock });
  const secondStep = new SecondStepService({ twoFactor, webauthn, limiter, audit, metrics, clockWitness });
  const groups = new GroupsService({ db, clock });
  const directory = config.directory
    ? new DirectoryService({
        db,
        client: new DirectoryClient(config.directory),
        groups,
        policy,
        audit,
        clock,
        // The directory is where a directory account's name is kept: it replaces what was here.
        saveDisplayName: (userId, name) => setUserDisplayName(db, userId, nameFromDirectory(name)),
      })
    : null;
  if (directory) {
    directoryUp = () => {
      const health = directory.lastHealth();
      return health === null ? null : health.status === 'ok' ? 1 : 0;
    };
  }
  const signIn = new SignInService({
    db,
    hasher,
    limiter,
    secondStep,
    policy,
    devices,
    audit,
    metrics,
    clock,
    emailCounterKey: keys.emailCounters,
    directory,
  });
  const passwords = new PasswordService({ db, hasher, limiter, audit, clock, notify, directory });
  const users = new UsersService({
    db,
    hasher,
    limiter,
    policy,
    audit,
    clock,
    endSessionsOf: (trx, userId) => endAccountAccess(trx, userId),
    endGrantsOf: revokeAllGrantsOf,
    accessChanged: bumpAccessVersion,
    // Sent to the address itself (no account is left to look up), in the account's language.
    mailDeletionNotice: (trx, to, by) => mail.queue.enqueue(trx, { to: to.email, locale: toMailLocale(to.locale), template: { kind: 'account_deleted', by } }),
  });
  const clients = new ClientsService({ db, secretBox: keys.secretBox, audit, clock, groups });
  const oidc = new OidcService({
    db,
    clock,
    publicUrl: config.publicUrl,
    cookies: config,
    masterKey: options.masterKey,
    secretBox: keys.secretBox,
    openSecret: clients.openSecret,
    sessions,
    audit,
    groups,
    sessionIdleSeconds: config.sessionIdleSeconds,
  });
  const interactions = new InteractionsService({ oidc, signIn, sessions, devices, audit });
  const grants = new GrantsService({ db, audit, clock });
  const stepUp = new StepUpService({ passwords, secondStep, devices, sessions, audit });
  const resets = new PasswordResetService({
    endAccountAccess,
    db,
    hasher,
    limiter,
    twoFactor,
    mail: mail.queue,
    audit,
    clock,
    emailCounterKey: keys.emailCounters,
    smtpConfigured: mail.smtpConfigured,
  });
  const clockForNewUser = (role: Role) => policy.clockForNewUser(role);
  const setup = new SetupService({ db, hasher, audit, clock, link: (p) => mail.queue.link(p), clockForNewUser });
  const invitations = new InvitationsService({
    db,
    hasher,
    mail: mail.queue,
    groups,
    clock,
    clockForNewUser,
    smtpConfigured: mail.smtpConfigured,
    validDays: config.invitationDays,
  });
  const registrations = new RegistrationService({
    db,
    hasher,
    mail: mail.queue,
    groups,
    settings,
    clock,
    clockForNewUser,
    emailCounterKey: keys.emailCounters,
  });
  const accessRules = new AccessRulesService({ db, clock });
  const accessPolicy = new AccessPolicy({
    db,
    clock,
    configuredDefault: config.accessDefault,
    audit,
    hasSecondFactor: async (userId) => (await usersWithTwoFactor(db, [userId])).has(userId) || (await usersWithCredentials(db, [userId])).has(userId),
    hotPath: { readRow: database.readRow, dialect: database.dialect },
  });
  return {
    config,
    database,
    db,
    dialect: database.dialect,
    clock,
    keys,
    metrics,
    audit,
    hasher,
    settings,
    limiter,
    endAccountAccess,
    sessions,
    devices,
    twoFactor,
    policy,
    signIn,
    passwords,
    users,
    clients,
    oidc,
    interactions,
    grants,
    stepUp,
    webauthn,
    secondStep,
    mail,
    resets,
    clockWitness,
    groups,
    setup,
    invitations,
    registrations,
    accessRules,
    accessPolicy,
    directory,
  };
}
