// Every error code the API can answer, with its HTTP status and a default message for people.
// One handler (below) renders them all as {"error", "message"}; anything unexpected is a 500
// whose details stay in the log.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiErrorCode } from '../shared/api-types.js';

export const ERRORS = {
  invalid_request: [400, 'The request is not valid.'],
  invalid_setup_token: [400, 'This setup link is not valid. Use the link the server printed, or print a new one with "gatehouse setup-link".'],
  setup_token_expired: [400, 'This setup link has expired. Print a new one with "gatehouse setup-link" (or restart the server).'],
  setup_done: [409, 'Gatehouse is already set up: sign in.'],
  invalid_invitation: [400, 'This invitation link is not valid. Ask the person who invited you for a new one.'],
  invitation_used: [400, 'This invitation was already used: sign in with the password you chose.'],
  invitation_revoked: [400, 'This invitation was withdrawn. Ask the person who invited you for a new one.'],
  invitation_expired: [400, 'This invitation has expired. Ask the person who invited you to send it again.'],
  registration_closed: [403, 'Registration is not open here. Ask an administrator for an invitation.'],
  registration_domain: [400, 'Registration is open only to addresses at some domains.'],
  invalid_registration: [400, 'This registration link is not valid. Register again to get a new one.'],
  registration_used: [400, 'This registration link was already used: sign in with the password you chose.'],
  registration_expired: [400, 'This registration link has expired. Register again to get a new one.'],
  awaiting_approval: [403, 'Your account is waiting for an administrator to approve it. You will get an email once it is approved.'],
  not_awaiting_approval: [409, 'This account is not waiting for approval.'],
  overlapping_rule: [400, 'This application already has a rule for this path.'],
  step_up_required: [401, 'This address asks for a stronger sign-in: confirm it is you with your code.'],
  access_denied: [403, 'You are signed in, but this application does not let you in.'],
  group_exists: [409, 'A group with this name already exists.'],
  group_in_use: [409, 'Rules or applications still name this group.'],
  directory_group: [409, 'This group comes from the directory: change its members there.'],
  password_managed_by_directory: [409, "This account's password is managed by the directory: change it there."],
  email_managed_by_directory: [409, "This account's email is managed by the directory: change it there."],
  invalid_email_change: [400, 'This email change link is not valid. Check that you opened the whole link from the message.'],
  email_change_used: [400, 'This email change link was already used.'],
  email_change_expired: [400, 'This email change link has expired.'],
  email_change_cancelled: [400, 'This email change was replaced by a newer request, or undone: use the latest link.'],
  email_change_outdated: [409, "The account's email changed since this link was sent: the link no longer applies."],
  upstream_discovery_failed: [
    400,
    'The provider did not answer OpenID Connect discovery at this issuer. Check the issuer URL (it must serve /.well-known/openid-configuration).',
  ],
  upstream_subject_linked: [409, 'This identity at the provider is already linked to an account.'],
  no_pending_link: [401, 'There is no sign-in with another provider waiting to be linked. Start again from the sign-in page.'],
  last_way_to_sign_in: [409, 'This is the only way this account can sign in: set a password or link another provider first.'],
  application_exists: [409, 'An application for this host already exists.'],
  weak_password: [400, 'The password does not meet the rules.'],
  invalid_code: [401, 'The code is not valid.'],
  invalid_security_key: [401, 'The security key or passkey was not accepted.'],
  code_required: [401, 'This account has two-factor authentication: enter a code from the app or a backup code.'],
  invalid_reset_token: [400, 'This reset link is not valid. Ask for a new one.'],
  reset_token_used: [400, 'This reset link was already used. Ask for a new one.'],
  reset_token_expired: [400, 'This reset link has expired. Ask for a new one.'],
  invalid_credentials: [401, 'The email or password is not correct.'],
  unauthenticated: [401, 'Sign in first.'],
  no_pending_sign_in: [401, 'There is no sign-in waiting for a code. Start again with the password.'],
  blocked: [403, 'This account is blocked.'],
  forbidden: [403, 'You are not allowed to do this.'],
  cross_site: [403, 'Requests from other sites are refused.'],
  two_factor_setup_required: [403, 'Enable two-factor authentication first.'],
  two_factor_required: [403, 'This requires an account with two-factor authentication.'],
  reauthentication_required: [403, 'Confirm it is you: enter your password (and a code when two-factor authentication is on) again.'],
  not_found: [404, 'Not found.'],
  method_not_allowed: [405, 'Method not allowed.'],
  email_taken: [409, 'An account with this email already exists.'],
  already_enabled: [409, 'Two-factor authentication is already on.'],
  not_enabled: [409, 'Two-factor authentication is not on.'],
  no_security_key: [409, 'No security key is registered for this account.'],
  no_pending_setup: [409, 'Start the setup first.'],
  cannot_change_self: [409, 'You cannot block yourself or change your own role.'],
  last_admin: [409, 'The last administrator cannot be blocked or demoted.'],
  confirmation_mismatch: [400, "The email typed is not the account's: nothing was deleted."],
  self_deletion_off: [403, 'Accounts cannot be deleted by their owners here. Ask an administrator.'],
  enrol_two_factor_first: [
    409,
    'Enable two-factor authentication on your own account first: this change would at once leave you only able to enrol, locked out of these settings.',
  ],
  payload_too_large: [413, 'The request body is too large.'],
  unsupported_media_type: [415, 'Send JSON.'],
  locked: [429, 'Too many failed attempts. Try again later.'],
  rate_limited: [429, 'Too many requests. Slow down.'],
  internal: [500, 'Something went wrong on our side.'],
  unavailable: [503, 'The service is briefly unavailable. Try again.'],
  directory_unavailable: [503, 'The directory is unreachable, so accounts from it cannot sign in right now. Try again in a few minutes.'],
} as const satisfies Record<ApiErrorCode, readonly [number, string]>;

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message ?? ERRORS[code][1]);
    this.statusCode = ERRORS[code][0];
  }

  /** The same code under another status, where docs/api.md gives one route its own (invalid_code is 400 outside sign-in). */
  withStatus(statusCode: number): this {
    this.statusCode = statusCode;
    return this;
  }
}

export function lockedError(retryAfterSeconds: number): AppError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new AppError('locked', undefined, { retryAfterSeconds: seconds }, { 'retry-after': String(seconds) });
}

/** Fastify's own errors (validation, parsing, size) mapped onto our codes. */
function fromFastifyError(error: FastifyError): AppError | null {
  if (error.validation) return new AppError('invalid_request', `The request is not valid: ${error.message}`);
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('invalid_request', 'The body is not valid JSON.');
    default:
      break;
  }
  if (error.statusCode === 429) return new AppError('rate_limited');
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new AppError('invalid_request');
  }
  return null;
}

/**
 * Database driver errors that mean "the database cannot serve this right now": unreachable, a
 * standby during a failover (25006), a statement past its timeout (57014, pg's read timeout), a
 * SQLite file whose disk is full (SQLITE_FULL: nothing was written; docs/operations.md).
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EPOOLFULL',
  'SQLITE_BUSY',
  'SQLITE_FULL',
  '57P01',
  '57P02',
  '57P03',
  '57014',
  '25006',
  '08006',
  '08001',
  '08003',
]);

function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    UNAVAILABLE_CODES.has(e.code ?? '') ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i.test(e.message ?? '')
  );
}

/** `onNotFound`: told of each answer no route matched (the request log and counter). */
export function registerErrorHandler(app: FastifyInstance, onNotFound: (request: FastifyRequest, reply: FastifyReply) => void = () => {}): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    let appError = error instanceof AppError ? error : fromFastifyError(error);
    if (!appError && isDatabaseUnavailable(error)) {
      const code = (error as { code?: string }).code;
      // A full disk needs the operator; the rest passes by itself.
      if (code === 'SQLITE_FULL') request.log.error({ err: { code } }, 'database disk is full: nothing was written');
      else request.log.warn({ err: { code } }, 'database unavailable');
      appError = new AppError('unavailable');
      appError.headers['retry-after'] = '2';
    }
    if (!appError) {
      request.log.error({ err: error }, 'unhandled error');
      appError = new AppError('internal');
    }
    void reply
      .code(appError.statusCode)
      .headers(appError.headers)
      .send({ error: appError.code, message: appError.message, ...appError.extra });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'not_found', message: ERRORS.not_found[1] });
    onNotFound(request, reply);
  });
}
