// The mail module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
export { notifyNobody } from './mail-queue.js';
export type { MailQueue, Notify } from './mail-queue.js';
export { createMail, defaultOutboxDir, withLockNotices } from './mail.module.js';
export type { Mail } from './mail.module.js';
export { countOutboxByStatus, pruneSentMessages } from './mail.repository.js';
export { toMailLocale } from './templates.js';
export { mailModule } from './mail.registration.js';
