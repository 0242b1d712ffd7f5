// TOTP against the RFCs' own test vectors, the drift window and replay.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { base32Encode } from '../../test-support/base32.js';
import {
  generateHotp,
  generateTotp,
  matchTotp,
  keyUri,
  estimateClockOffsetSeconds,
  addOffsetSample,
  generateTotpSecret,
  timeStep,
  learnedWindow,
} from './totp.js';
import { phoneCode } from '../../test-support/authenticator.js';
import { TEST_EPOCH } from '../../test-support/clock.js';

describe('HOTP: RFC 4226 Appendix D', () => {
  const secret = base32Encode(Buffer.from('12345678901234567890'));
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  for (const [counter, code] of expected.entries()) {
    it(`counter ${counter} → ${code}`, () => assert.equal(generateHotp(secret, counter), code));
  }
});

describe('TOTP: RFC 6238 Appendix B', () => {
  const seeds = {
    SHA1: '12345678901234567890',
    SHA256: '12345678901234567890123456789012',
    SHA512: '1234567890123456789012345678901234567890123456789012345678901234',
  } as const;
  const table: Array<[number, string, keyof typeof seeds]> = [
    [59, '94287082', 'SHA1'],
    [59, '46119246', 'SHA256'],
    [59, '90693936', 'SHA512'],
    [1111111109, '07081804', 'SHA1'],
    [1111111109, '68084774', 'SHA256'],
    [1111111109, '25091201', 'SHA512'],
    [1111111111, '14050471', 'SHA1'],
    [1111111111, '67062674', 'SHA256'],
    [1111111111, '99943326', 'SHA512'],
    [1234567890, '89005924', 'SHA1'],
    [1234567890, '91819424', 'SHA256'],
    [1234567890, '93441116', 'SHA512'],
    [2000000000, '69279037', 'SHA1'],
    [2000000000, '90698825', 'SHA256'],
    [2000000000, '38618901', 'SHA512'],
    [20000000000, '65353130', 'SHA1'],
    [20000000000, '77737706', 'SHA256'],
    [20000000000, '47863826', 'SHA512'],
  ];
  for (const [time, code, algorithm] of table) {
    it(`${algorithm} at T=${time} → ${code}`, () => {
      const secret = base32Encode(Buffer.from(seeds[algorithm]));
      assert.equal(generateTotp(secret, time * 1000, { digits: 8, algorithm }), code);
    });
  }
});

describe('matchTotp: the drift window and replay', () => {
  const secret = generateTotpSecret();
  // Wherever in its step this falls: ±55 s is within two steps of any position, ±150 s is five.
  const now = TEST_EPOCH;

  it('makes 160-bit secrets', () => assert.equal(secret.length, 32));

  it('accepts a phone whose clock is 55 s behind or ahead', () => {
    assert.ok(matchTotp(secret, phoneCode(secret, now - 55_000), now, null));
    assert.ok(matchTotp(secret, phoneCode(secret, now + 55_000), now, null));
  });

  it('refuses a phone 150 s ahead or behind', () => {
    assert.equal(matchTotp(secret, phoneCode(secret, now + 150_000), now, null), null);
    assert.equal(matchTotp(secret, phoneCode(secret, now - 150_000), now, null), null);
  });

  it('reports the offset of the matched step', () => {
    const match = matchTotp(secret, phoneCode(secret, now + 40_000), now, null);
    assert.equal(match?.step, timeStep(now + 40_000));
    assert.equal(match?.offset, timeStep(now + 40_000) - timeStep(now));
  });

  it('refuses the step already used and any older one', () => {
    const code = phoneCode(secret, now);
    const first = matchTotp(secret, code, now, null)!;
    assert.equal(matchTotp(secret, code, now, first.step), null);
    assert.equal(matchTotp(secret, phoneCode(secret, now - 30_000), now, first.step), null);
    assert.ok(matchTotp(secret, phoneCode(secret, now + 30_000), now, first.step));
  });

  it('refuses anything but six digits', () => {
    for (const bad of ['', '12345', '1234567', 'abcdef', ' 123456']) assert.equal(matchTotp(secret, bad, now, null), null);
  });

  it('writes the Key URI format', () => {
    const uri = new URL(keyUri(secret, 'Gatehouse', 'ana@example.com'));
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.equal(decodeURIComponent(uri.pathname), '/Gatehouse:ana@example.com');
    assert.equal(uri.searchParams.get('secret'), secret);
    assert.equal(uri.searchParams.get('issuer'), 'Gatehouse');
  });

  it('estimates the phone clock offset from recent samples', () => {
    assert.equal(estimateClockOffsetSeconds([]), null);
    let samples: number[] = [];
    for (let i = 0; i < 20; i++) samples = addOffsetSample(samples, 1);
    assert.equal(samples.length, 8);
    assert.equal(estimateClockOffsetSeconds(samples), 30);
    assert.equal(estimateClockOffsetSeconds([-1, -2]), -45);
  });
});

describe('learnedWindow: ±1 step around the learned offset', () => {
  it('accepts 3 steps around the offset of the last accepted code, bounded to ±2', () => {
    const secret = generateTotpSecret();
    const now = TEST_EPOCH;
    assert.deepEqual(learnedWindow([]), { centre: 0, radius: 2 }, 'enrolment window until an offset is known');
    assert.deepEqual(learnedWindow([0, 2]), { centre: 2, radius: 1 });
    assert.deepEqual(learnedWindow([5]), { centre: 2, radius: 1 }, 'bounded to ±2');
    const window = learnedWindow([2]);
    const accepted = [-2, -1, 0, 1, 2, 3, 4].filter((offset) => matchTotp(secret, generateTotp(secret, now + offset * 30_000), now, null, window));
    assert.deepEqual(accepted, [1, 2, 3]);
    assert.deepEqual(addOffsetSample([], -4), [-2], 'stored offsets are bounded too');
  });
});
