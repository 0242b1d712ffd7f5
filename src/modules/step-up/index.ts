// The step-up module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
export { stepUpRoutes } from './step-up.routes.js';
export { StepUpService } from './step-up.service.js';
export { stepUpModule } from './step-up.module.js';
