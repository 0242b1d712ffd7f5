// Request and response schemas for accounts. They validate input (400 invalid_request on any
// mismatch, extra fields included) and document the API in /docs.
import { Type } from '@sinclair/typebox';
import { NO_CONTROL } from '../../http/query.js';
import { PASSWORD_MAX_LENGTH } from '../passwords/index.js';

export const EmailSchema = Type.String({ minLength: 3, maxLength: 320, pattern: `^\\s*[^\\s@${NO_CONTROL}]+@[^\\s@${NO_CONTROL}]+\\s*$` });
/** Passwords longer than the maximum are refused by validation, before any hashing. */
export const PasswordSchema = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH });
/** A new password: its rules (length, common passwords) are checked by the service, with the reason. */
export const NewPasswordSchema = Type.String({ maxLength: PASSWORD_MAX_LENGTH });
export const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('user')]);

export const UserSchema = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    role: RoleSchema,
    twoFactorEnabled: Type.Boolean(),
    twoFactorRequiredBy: Type.Optional(Type.String()),
    locale: Type.Optional(Type.Union([Type.Literal('en'), Type.Literal('es')], { description: "The account's language (its mail's)" })),
  },
  { additionalProperties: true },
);

export const AdminUserSchema = Type.Intersect([
  UserSchema,
  Type.Object({
    createdAt: Type.String(),
    lastSignInAt: Type.Union([Type.String(), Type.Null()]),
    lockedUntil: Type.Union([Type.String(), Type.Null()]),
    lockedPermanently: Type.Boolean(),
    blocked: Type.Boolean(),
    twoFactorRequired: Type.Boolean(),
    twoFactorOverdue: Type.Boolean(),
    factors: Type.Array(Type.Union([Type.Literal('totp'), Type.Literal('webauthn')]), {
      description: 'The second factors the account has: the app, security keys or passkeys',
    }),
    groups: Type.Array(Type.String(), { description: 'The groups the account is a member of, by name' }),
  }),
]);
