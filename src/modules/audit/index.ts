// The audit module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
export { failuresSince, insertAuditEvent, pruneAuditEvents } from './audit.repository.js';
export type { AccountRef, Actor, AuditEventInput, RecordAudit } from './audit.repository.js';
export { auditRoutes } from './audit.routes.js';
export { auditModule } from './audit.module.js';
