// Authentication settings: their shape, limits and defaults. NIST SP 800-63B §5.2.2 allows at
// most 100 consecutive failed attempts on one account, hence the ceiling on the attempt counts.
import { Type, type Static } from '@sinclair/typebox';
import type { AuthSettings as AuthSettingsShape, Registration, Require2fa } from '../../shared/api-types.js';

export const REQUIRE_2FA_VALUES = ['off', 'admins', 'everyone'] as const satisfies readonly Require2fa[];
export type { Registration, Require2fa };

export const AuthSettingsSchema = Type.Object(
  {
    passwordAttempts: Type.Integer({ minimum: 1, maximum: 100 }),
    codeAttempts: Type.Integer({ minimum: 1, maximum: 100 }),
    lockoutSeconds: Type.Integer({ minimum: 60, maximum: 86400 }),
    require2fa: Type.Union([Type.Literal('off'), Type.Literal('admins'), Type.Literal('everyone')]),
    require2faGraceDays: Type.Integer({ minimum: 0, maximum: 90 }),
    // Self-registration (issue 31): off, open to anyone whose address passes the domain list, or
    // open with an administrator approving each account before it can sign in.
    registration: Type.Union([Type.Literal('off'), Type.Literal('open'), Type.Literal('approval')]),
    /** Only addresses at these domains may register (exact match, lower case); empty: any domain. */
    registrationDomains: Type.Array(Type.String({ minLength: 1, maxLength: 253, pattern: '^[^\\s@,]+\\.[^\\s@,]+$' }), { maxItems: 50, uniqueItems: true }),
    /** The group every self-registered account joins (a local group's name), or none. */
    registrationGroup: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
    /** Whether people may delete their own account from the security page. */
    selfDeletion: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type AuthSettings = Static<typeof AuthSettingsSchema>;
// Compiles only while the schema validates exactly the shape the UI is typed against (shared/api-types.ts).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type SchemaMatchesShared = Assert<Same<AuthSettings, AuthSettingsShape>>;

export const AuthSettingsPatchSchema = Type.Partial(AuthSettingsSchema, { additionalProperties: false });
export type AuthSettingsPatch = Static<typeof AuthSettingsPatchSchema>;

export const DEFAULT_AUTH_SETTINGS: AuthSettings = Object.freeze({
  passwordAttempts: 5,
  codeAttempts: 5,
  lockoutSeconds: 600,
  require2fa: 'off',
  require2faGraceDays: 7,
  registration: 'off',
  registrationDomains: [],
  registrationGroup: null,
  selfDeletion: false,
});
