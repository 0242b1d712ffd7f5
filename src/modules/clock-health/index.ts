// The clock-health module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else in this folder is private to it.
export { blameForFailedCode } from './clock-estimate.js';
export { HEARTBEAT_MS } from './clock-health.service.js';
export { ClockWitness } from './clock-witness.js';
export { ClockSkewError, checkClockAtStartup } from './startup-check.js';
export { clockHealthModule } from './clock-health.module.js';
export { measureDatabaseOffsetSeconds, describeError } from './clock-health.service.js';
export { CODE_WINDOW_SECONDS } from './clock-estimate.js';
