import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { throttleKeyForAddress } from './client-address.js';

describe('throttle key', () => {
  it('keeps IPv4 addresses whole, including IPv4-mapped IPv6', () => {
    assert.equal(throttleKeyForAddress('203.0.113.7'), '203.0.113.7');
    assert.equal(throttleKeyForAddress('::ffff:203.0.113.7'), '203.0.113.7');
  });
  it('groups IPv6 by /64', () => {
    assert.equal(throttleKeyForAddress('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(throttleKeyForAddress('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.notEqual(throttleKeyForAddress('2001:db8:1:3::1'), throttleKeyForAddress('2001:db8:1:2::1'));
    assert.equal(throttleKeyForAddress('::1'), '0:0:0:0::/64');
  });
});
