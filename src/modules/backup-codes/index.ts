// The backup-codes module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else in this folder is private to it.
export { findMatchingBackupCode, generateBackupCodes, newBackupCodeRecord } from './backup-codes.js';
