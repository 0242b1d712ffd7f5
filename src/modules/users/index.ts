// The users module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
export { presentAdminUser, presentUser } from './user.presenter.js';
export { AdminUserSchema, EmailSchema, NewPasswordSchema, PasswordSchema, RoleSchema, UserSchema } from './user.schemas.js';
export {
  countUsers,
  findUserByEmail,
  findUserById,
  findUserForSignIn,
  listUsers,
  normalizeEmail,
  recordSignIn,
  setTwoFactorClock,
  setUserLocale,
  startTwoFactorClock,
  startTwoFactorClocks,
  stopTwoFactorClocks,
  updatePasswordHash,
  upgradePasswordHash,
} from './users.repository.js';
export type { Role, UserRow } from './users.repository.js';
export { UsersService } from './users.service.js';
