import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuditThrottle } from './audit-throttle.js';

describe('AuditThrottle', () => {
  it('records the first event of a key, folds the rest of the minute into the next record with their count', () => {
    let now = Date.UTC(2031, 0, 1);
    const throttle = new AuditThrottle(() => now);
    assert.equal(throttle.take('a'), 1);
    now += 1_000;
    assert.equal(throttle.take('a'), null);
    assert.equal(throttle.take('a'), null);
    assert.equal(throttle.take('b'), 1, 'another key has its own window');
    now += 58_999;
    assert.equal(throttle.take('a'), null, 'still inside the minute');
    now += 1;
    assert.equal(throttle.take('a'), 4, 'three folded plus this one');
    now += 60_000;
    assert.equal(throttle.take('a'), 1);
  });

  it('stays bounded: past 10,000 keys the oldest is forgotten (and recorded again at once)', () => {
    const now = Date.UTC(2031, 0, 1);
    const throttle = new AuditThrottle(() => now);
    for (let i = 0; i < 10_000; i++) assert.equal(throttle.take(`k${i}`), 1);
    assert.equal(throttle.take('k0'), null, 'k0 is remembered while the map is full');
    assert.equal(throttle.take('new'), 1);
    assert.equal(throttle.take('k0'), 1, 'k0 was the oldest and was forgotten for the new key');
    assert.equal(throttle.take('k2'), null, 'a younger key is still remembered');
  });
});
