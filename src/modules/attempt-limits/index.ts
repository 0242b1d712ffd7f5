// The attempt-limits module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
export { AttemptLimiter } from './attempt-limiter.js';
