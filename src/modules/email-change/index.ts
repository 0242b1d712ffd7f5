// The email-change module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else in this folder is private to it.
export { emailChangeModule } from './email-change.module.js';
export { pruneEmailChanges } from './email-change.service.js';
export { cancelPendingChanges as cancelPendingEmailChanges } from './email-change.repository.js';
