// The lockout arithmetic: every limit-th failure locks, each lock twice the last up to a day, 100 stop.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { afterFailure, HARD_STOP_FAILURES, lockLengthMs, MAX_LOCK_MS } from './lockout.js';

describe('lockout arithmetic', () => {
  it('locks at every multiple of the limit, doubling up to 24 h, and stops at 100', () => {
    const outcomes = Array.from({ length: 100 }, (_, i) => afterFailure(i + 1, 5, 600_000, 0));
    const locks = outcomes.filter((o) => o.kind === 'lock');
    assert.equal(locks.length, 19);
    assert.deepEqual(
      locks.map((o) => (o.kind === 'lock' ? o.until / 1000 : 0)),
      [600, 1200, 2400, 4800, 9600, 19200, 38400, 76800, ...Array(11).fill(86400)],
    );
    assert.deepEqual(outcomes[99], { kind: 'hard_stop' });
    assert.equal(outcomes.filter((o) => o.kind === 'none').length, 80);
  });

  it('stops at 100 even when the limit does not divide it, and never overflows', () => {
    assert.deepEqual(afterFailure(HARD_STOP_FAILURES, 3, 60_000, 0), { kind: 'hard_stop' });
    assert.equal(afterFailure(99, 3, 60_000, 0).kind, 'lock');
    assert.equal(lockLengthMs(1000, 86_400_000), MAX_LOCK_MS);
    assert.equal(lockLengthMs(1, 60_000), 60_000);
  });
});
