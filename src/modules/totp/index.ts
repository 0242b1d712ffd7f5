// The totp module's public face: the only file of it that other modules import (src/architecture.test.ts
// checks). Everything else in this folder is private to it.
export {
  TOTP_PERIOD_SECONDS,
  TOTP_WINDOW_STEPS,
  addOffsetSample,
  estimateClockOffsetSeconds,
  generateTotpSecret,
  isAppCodeFormat,
  isReplayedTotp,
  keyUri,
  learnedWindow,
  matchTotp,
} from './totp.js';
