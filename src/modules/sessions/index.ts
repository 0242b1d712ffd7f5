// The sessions module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
export { accessOf, actorOf, registerAccessControl } from './access.js';
export type { Access } from './access.js';
export { deviceRoutes } from './devices.routes.js';
export { clearSessionCookies, sessionCookieName, sessionOf, startSession, verifySessionOf, writeSessionCookies } from './session-cookie.js';
export type { CookieSettings } from './session-cookie.js';
export { sessionRoutes } from './session.routes.js';
export { deleteUserSessions } from './sessions.repository.js';
export { SessionsService } from './sessions.service.js';
export type { NewSession, ResolvedSession, StartedSession } from './sessions.service.js';
export { sessionsModule } from './sessions.module.js';
