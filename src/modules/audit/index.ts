// The audit module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else here is private; a repository function named here takes the caller's db or
// transaction, so a change that spans modules still commits as one.
export { failuresSince, insertAuditEvent, pruneAuditEvents } from './audit.repository.js';
export type { AccountRef, Actor, AuditEventInput, RecordAudit } from './audit.repository.js';
export { auditModule } from './audit.module.js';
export { AuditThrottle } from './audit-throttle.js';
