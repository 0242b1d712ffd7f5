// Request and response schemas shared by several routes. They validate input (400
// invalid_request on any mismatch, extra fields included) and document the API in /docs.
import { Type } from '@sinclair/typebox';
import { PASSWORD_MAX_LENGTH } from '../modules/passwords/password-policy.js';

/** No control characters (NUL above all: PostgreSQL text cannot hold it, and no one types it). */
const NO_CONTROL = '\\u0000-\\u001f\\u007f';
export const EmailSchema = Type.String({ minLength: 3, maxLength: 320, pattern: `^\\s*[^\\s@${NO_CONTROL}]+@[^\\s@${NO_CONTROL}]+\\s*$` });
/** Free text in a query string (search, filters, cursors). */
export function QueryText(maxLength: number) {
  return Type.String({ maxLength, pattern: `^[^${NO_CONTROL}]*$` });
}
/** Passwords longer than the maximum are refused by validation, before any hashing. */
export const PasswordSchema = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH });
export const CodeSchema = Type.String({ minLength: 1, maxLength: 64 });
export const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('user')]);

export const ErrorSchema = Type.Object(
  { error: Type.String(), message: Type.String() },
  { additionalProperties: true, $id: 'Error' },
);

export const UserSchema = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    role: RoleSchema,
    twoFactorEnabled: Type.Boolean(),
    twoFactorRequiredBy: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export const AdminUserSchema = Type.Intersect([
  UserSchema,
  Type.Object({
    createdAt: Type.String(),
    lastSignInAt: Type.Union([Type.String(), Type.Null()]),
    lockedUntil: Type.Union([Type.String(), Type.Null()]),
    blocked: Type.Boolean(),
    twoFactorRequired: Type.Boolean(),
    twoFactorOverdue: Type.Boolean(),
  }),
]);

export const BackupCodesSchema = Type.Object({ backupCodes: Type.Array(Type.String()) });
