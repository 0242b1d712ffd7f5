// The clock-health module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
export { blameForFailedCode } from './clock-estimate.js';
export { registerClockHealth } from './clock-health.routes.js';
export { HEARTBEAT_MS } from './clock-health.service.js';
export type { ClockHealthService } from './clock-health.service.js';
export { ClockWitness } from './clock-witness.js';
export { ClockSkewError, checkClockAtStartup } from './startup-check.js';
export { clockHealthModule } from './clock-health.module.js';
