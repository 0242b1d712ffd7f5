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
/**
 * The body of a deletion (POST /api/admin/users/:id/delete, /api/me/delete): the account's email,
 * typed as confirmation. Any text up to an email's length: one that is not the account's is 400
 * confirmation_mismatch, not a validation error, so the page can say what is wrong.
 */
export const DeletionConfirmationSchema = Type.Object({ email: Type.String({ minLength: 1, maxLength: 320 }) }, { additionalProperties: false });

export const UserSchema = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    role: RoleSchema,
    twoFactorEnabled: Type.Boolean(),
    twoFactorRequiredBy: Type.Optional(Type.String()),
    locale: Type.Optional(Type.Union([Type.Literal('en'), Type.Literal('es')], { description: "The account's language (its mail's)" })),
    displayName: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    givenName: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    familyName: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { additionalProperties: true },
);

/**
 * The names an owner or an administrator sets (PUT …/profile): each a string or null. The length
 * (100 after trimming, NFC) and the characters are users/profile.ts's to check; the schema's bound
 * only keeps an oversized body out.
 */
const NameSchema = Type.Union([Type.String({ maxLength: 400 }), Type.Null()]);
export const ProfileSchema = Type.Object({ displayName: NameSchema, givenName: NameSchema, familyName: NameSchema }, { additionalProperties: false });

export const AdminUserSchema = Type.Intersect([
  UserSchema,
  Type.Object({
    createdAt: Type.String(),
    lastSignInAt: Type.Union([Type.String(), Type.Null()]),
    lockedUntil: Type.Union([Type.String(), Type.Null()]),
    lockedPermanently: Type.Boolean(),
    blocked: Type.Boolean(),
    awaitingApproval: Type.Boolean({ description: 'A self-registered account waiting for approval: it cannot sign in yet' }),
    twoFactorRequired: Type.Boolean(),
    twoFactorOverdue: Type.Boolean(),
    factors: Type.Array(Type.Union([Type.Literal('totp'), Type.Literal('webauthn')]), {
      description: 'The second factors the account has: the app, security keys or passkeys',
    }),
    groups: Type.Array(Type.String(), { description: 'The groups the account is a member of, by name' }),
  }),
]);
