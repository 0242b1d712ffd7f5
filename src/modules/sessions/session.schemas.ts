// Response schemas of the sign-in module (the serializer sends exactly these fields).
import { Type } from '@sinclair/typebox';

export const SignInWarningSchema = Type.Object({
  failedCodeAttempts: Type.Integer(),
  locks: Type.Integer(),
  lastAt: Type.String(),
  lastAddress: Type.Union([Type.String(), Type.Null()]),
});
