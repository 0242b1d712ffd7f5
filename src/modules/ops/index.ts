// The ops module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else in this folder is private to it.
export { createMetrics } from './metrics.js';
export type { Metrics } from './metrics.js';
export { opsModule } from './ops.module.js';
