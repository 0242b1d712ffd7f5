// The names' one rule (profile.ts): NFC, trimmed, ≤ 100 code points, no control characters.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { NAME_MAX_LENGTH, normalizeName, normalizeProfile } from './profile.js';

it('stores a name NFC and trimmed; empty or blank is null', () => {
  const decomposed = 'Jose\u0301 Garci\u0301a';
  assert.equal(normalizeName(`  ${decomposed}\t`, 'displayName'), 'José García');
  assert.equal(normalizeName(decomposed, 'displayName')!.length, 'José García'.length, 'composed: one code point per accented letter');
  assert.equal(normalizeName('   ', 'givenName'), null);
  assert.equal(normalizeName(null, 'familyName'), null);
  assert.deepEqual(normalizeProfile({ displayName: ' Ana ', givenName: null, familyName: '' }), { displayName: 'Ana', givenName: null, familyName: null });
});

it('takes 100 characters after trimming (counted as code points) and refuses 101', () => {
  assert.equal(normalizeName(` ${'a'.repeat(NAME_MAX_LENGTH)} `, 'displayName'), 'a'.repeat(100));
  assert.equal(normalizeName('😀'.repeat(100), 'displayName'), '😀'.repeat(100), 'an emoji is one character, not two');
  assert.throws(() => normalizeName('a'.repeat(101), 'displayName'), { code: 'invalid_request', message: /displayName must be at most 100/ });
});

it('refuses control characters and bidirectional overrides anywhere in a name', () => {
  for (const bad of ['Ana\u0000', 'A\nna', 'Ana\u007f', 'Ana\u0085', 'Ana\u202eatsoc', 'x\u2066y']) {
    assert.throws(
      () => normalizeName(bad, 'givenName'),
      { code: 'invalid_request', message: /givenName must not contain control characters/ },
      JSON.stringify(bad),
    );
  }
  assert.equal(normalizeName("Zoë O'Brien-Núñez", 'familyName'), "Zoë O'Brien-Núñez");
});
