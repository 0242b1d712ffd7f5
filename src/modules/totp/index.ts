// The totp module's public face: what other modules may use. Everything else in this folder,
// its repository above all, is private to it.
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
