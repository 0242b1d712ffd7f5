// The users module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else here is private; a repository function named here takes the caller's db or
// transaction, so a change that spans modules still commits as one.
export { presentAdminUser, presentUser } from './user.presenter.js';
export {
  AdminUserSchema,
  DeletionConfirmationSchema,
  EmailSchema,
  ProfileSchema,
  NewPasswordSchema,
  PasswordSchema,
  RoleSchema,
  UserSchema,
} from './user.schemas.js';
export {
  approveUser,
  countUsers,
  deliverableEmail,
  DIRECTORY_PASSWORD_MARK,
  findUserByEmail,
  findUserForSignInByDirectoryId,
  insertDirectoryUser,
  isUniqueViolation,
  listActiveAdmins,
  listDirectoryUsers,
  setUserDisplayName,
  setUserEmail,
  findUserById,
  findUserForSignIn,
  insertUser,
  listUsers,
  normalizeEmail,
  recordSignIn,
  replaceUserEmail,
  setTwoFactorClock,
  startTwoFactorClock,
  startTwoFactorClocks,
  stopTwoFactorClocks,
  updatePasswordHash,
  upgradePasswordHash,
} from './users.repository.js';
export type { Role, SignInCandidate, UserRow } from './users.repository.js';
export { UsersService } from './users.service.js';
export type { DeletedBy } from './users.service.js';
export { NAME_MAX_LENGTH, nameFromDirectory, normalizeProfile, type Profile } from './profile.js';
