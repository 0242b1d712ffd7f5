// The ops module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
export { createMetrics } from './metrics.js';
export type { Metrics } from './metrics.js';
export { opsRoutes } from './ops.routes.js';
export { opsModule } from './ops.module.js';
