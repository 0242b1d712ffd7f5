// The sessions module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else here is private; a repository function named here takes the caller's db or
// transaction, so a change that spans modules still commits as one.
export { accessOf, actorOf, registerAccessControl } from './access.js';
export type { Access } from './access.js';
export { clearSessionCookies, sessionCookieName, startSession, verifySessionOf, writeSessionCookies } from './session-cookie.js';
export type { CookieSettings } from './session-cookie.js';
export { deleteUserSessions } from './sessions.repository.js';
export { SessionsService } from './sessions.service.js';
export type { EndAccountAccess, ResolvedSession, StartedSession } from './sessions.service.js';
export { sessionsModule } from './sessions.module.js';
export { describeUserAgent } from './user-agent.js';
