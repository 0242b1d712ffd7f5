// The directory module's public face (users from LDAP / Active Directory, issue 30): the only file
// of it that other modules import (src/architecture.test.ts checks).
import type { DirectoryService } from './directory.service.js';

export { DirectoryClient, DirectoryRefused, DirectoryUnavailable } from './directory-client.js';
export type { DirectoryEntry } from './directory-client.js';
export { DirectoryService } from './directory.service.js';
export type { DirectoryHealth } from './directory.service.js';
export { DirectorySync, startPeriodicSync } from './directory-sync.service.js';
export type { SyncChange, SyncReport } from './directory-sync.service.js';
export { directoryModule } from './directory.module.js';
export { checkDirectory } from './directory-check.js';

/** What the sign-in's password step uses of the directory. */
export type DirectorySignIn = Pick<DirectoryService, 'locate' | 'verifyPassword' | 'refuseAlike' | 'admit' | 'lockoutThreshold'>;

/** What checking one's own password (step-up, 2FA off) and the password rules use of the directory. */
export type DirectoryPasswords = Pick<DirectoryService, 'verifyLinked' | 'passwordUrl' | 'passwordModify' | 'changePassword'>;
