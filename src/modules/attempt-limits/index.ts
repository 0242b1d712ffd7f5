// The attempt-limits module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else in this folder is private to it; the repository function named here takes
// the caller's transaction, so deleting an account drops its counters in the same commit.
export { AttemptLimiter } from './attempt-limiter.js';
export { deleteCounters as deleteAttemptCounters } from './attempt-counters.repository.js';
