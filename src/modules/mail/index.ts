// The mail module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else here is private; a repository function named here takes the caller's db or
// transaction, so a change that spans modules still commits as one.
export { notifyNobody } from './mail-queue.js';
export type { MailQueue, Notify } from './mail-queue.js';
export { createMail, defaultOutboxDir, withLockNotices } from './mail.module.js';
export { verifySmtp } from './transport.js';
export type { Mail } from './mail.module.js';
export { countOutboxByStatus, pruneSentMessages } from './mail.repository.js';
export { toMailLocale } from './templates.js';
export type { MailLocale } from './templates.js';
export { mailModule } from './mail.registration.js';
