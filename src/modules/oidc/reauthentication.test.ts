// When prompt=login and max_age ask for a new proof (OIDC Core §3.1.2.1), on a test clock: the
// provider's check (provider.config.ts) asks needsReauthentication with Gatehouse's clock and the
// session's last proof. The protocol around it is in conformance.test.ts (openid-client's maxAge).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestClock } from '../../test-support/clock.js';
import { needsReauthentication } from './handoff.js';

describe('needsReauthentication', () => {
  it('prompt=login always asks, however fresh the proof', () => {
    const clock = new TestClock();
    assert.equal(needsReauthentication({ promptLogin: true, maxAge: undefined, provedAt: clock.now(), now: clock.now() }), true);
  });

  it('max_age asks once the last proof is older than max_age seconds, not before', () => {
    const clock = new TestClock();
    const provedAt = clock.now();
    clock.advance(300_000);
    assert.equal(needsReauthentication({ promptLogin: false, maxAge: '300', provedAt, now: clock.now() }), false, 'exactly max_age old');
    clock.advance(1);
    assert.equal(needsReauthentication({ promptLogin: false, maxAge: '300', provedAt, now: clock.now() }), true);
    assert.equal(needsReauthentication({ promptLogin: false, maxAge: 3600, provedAt, now: clock.now() }), false);
  });

  it('max_age=0 is prompt=login; no max_age, or a meaningless one, asks nothing', () => {
    const clock = new TestClock();
    assert.equal(needsReauthentication({ promptLogin: false, maxAge: '0', provedAt: clock.now(), now: clock.now() }), true);
    assert.equal(needsReauthentication({ promptLogin: false, maxAge: undefined, provedAt: 0, now: clock.now() }), false);
    assert.equal(needsReauthentication({ promptLogin: false, maxAge: 'soon', provedAt: 0, now: clock.now() }), false);
  });
});
