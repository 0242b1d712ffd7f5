// The step-up module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else in this folder is private to it.
export { StepUpService } from './step-up.service.js';
export { stepUpModule } from './step-up.module.js';
