// The test clock's base: what GATEHOUSE_TEST_EPOCH accepts, and what TestClock does with it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestClock, parseTestEpoch, startOfStep } from './clock.js';

describe('GATEHOUSE_TEST_EPOCH', () => {
  it('defaults to 2026-11-29T06:00:01Z when unset or empty', () => {
    assert.equal(parseTestEpoch(undefined), Date.parse('2026-11-29T06:00:01Z'));
    assert.equal(parseTestEpoch(' '), Date.parse('2026-11-29T06:00:01Z'));
  });

  it('reads an ISO date-time with a zone, or milliseconds', () => {
    assert.equal(parseTestEpoch('2033-05-01T06:00:01Z'), 1998540001000);
    assert.equal(parseTestEpoch('2033-05-01T08:00:01+02:00'), 1998540001000);
    assert.equal(parseTestEpoch('2033-05-01T06:00:01.250Z'), 1998540001250);
    assert.equal(parseTestEpoch('1998540001000'), 1998540001000);
  });

  it('refuses anything else, naming the variable and the forms it takes', () => {
    for (const bad of ['tomorrow', '2033-05-01', '2033-05-01T06:00:01', '2033-13-01T06:00:01Z', '-5', '1.5', '1e12', '99999999999999999']) {
      assert.throws(() => parseTestEpoch(bad), /^Error: GATEHOUSE_TEST_EPOCH: ".*" is not a test start time\. Give an ISO date-time with a zone/, bad);
    }
  });
});

describe('TestClock', () => {
  it('moves only when told, and resets to where it started', () => {
    const clock = new TestClock(1_000_000);
    assert.equal(clock.read(), 1_000_000);
    assert.equal(clock.advance(30_000), 1_030_000);
    clock.set(5);
    assert.equal(clock.now(), 5);
    const { read } = clock; // handed to the app detached from the object
    clock.reset();
    assert.equal(read(), 1_000_000);
  });

  it('finds the start of a 30-second TOTP step', () => {
    assert.equal(startOfStep(Date.parse('2033-05-01T06:00:01Z')), Date.parse('2033-05-01T06:00:00Z'));
    assert.equal(startOfStep(Date.parse('2033-05-01T06:00:59.999Z')), Date.parse('2033-05-01T06:00:30Z'));
    assert.equal(startOfStep(Date.parse('2033-05-01T06:00:30Z')), Date.parse('2033-05-01T06:00:30Z'));
  });
});
