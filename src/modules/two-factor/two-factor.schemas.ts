// Request and response schemas for codes. Which kind a typed code is (app or backup) is decided
// by the service (totp.ts isAppCodeFormat), so a wrong kind answers invalid_code, not invalid_request.
import { Type } from '@sinclair/typebox';

/** An app code or a backup code, as typed (spaces and hyphens are the service's business). */
export const CodeSchema = Type.String({ minLength: 1, maxLength: 64 });
export const BackupCodesSchema = Type.Object({ backupCodes: Type.Array(Type.String()) });
