// The WebAuthn calls without a browser: options as the brief fixes them (RP ID, attestation none,
// user verification), bodies validated, foreign or unknown keys refused, challenges single-use and
// short-lived in the database. The ceremonies themselves run in Chromium (test/e2e/webauthn.test.ts).
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { Client, seedUser } from '../../test-support/harness.js';
import { consumeChallenge } from './webauthn.repository.js';
import { CHALLENGE_TTL_MS } from './webauthn.service.js';

const FAKE_ASSERTION = {
  id: 'AAAA',
  rawId: 'AAAA',
  type: 'public-key',
  clientExtensionResults: {},
  response: { clientDataJSON: 'e30', authenticatorData: 'AAAA', signature: 'AAAA' },
};

describeOnEachDialect('security keys over HTTP', (suite) => {
  const { clock } = suite;
  const t = suite.app({ env: { GATEHOUSE_PUBLIC_URL: 'https://login.example.com' } });
  before(() => seedUser(t.s, 'ana@example.com'));

  it('offers registration bound to the public host: attestation none, passkeys and user verification preferred', async () => {
    const ana = new Client(t.app, '__Host-gatehouse_session');
    assert.equal((await ana.signIn('ana@example.com')).body.status, 'authenticated');
    assert.deepEqual((await ana.get('/api/me/webauthn')).body, { keys: [], backupCodesLeft: 0 });
    assert.equal((await ana.post('/api/me/webauthn/register/options')).body.error, 'reauthentication_required', 'adding a factor needs a step-up');
    assert.equal((await ana.stepUp()).status, 204);
    const options = (await ana.post('/api/me/webauthn/register/options')).body;
    assert.equal(options.rp.id, 'login.example.com');
    assert.equal(options.attestation, 'none');
    assert.deepEqual(options.authenticatorSelection, { residentKey: 'preferred', userVerification: 'preferred', requireResidentKey: false });
    assert.equal(options.user.name, 'ana@example.com');
    assert.notEqual(options.user.id, Buffer.from('ana@example.com').toString('base64url'), 'the user handle is not the email');

    const bogus = { name: 'Laptop', response: { ...FAKE_ASSERTION, response: { clientDataJSON: 'e30', attestationObject: 'AAAA' } } };
    assert.equal((await ana.post('/api/me/webauthn/register', bogus)).body.error, 'invalid_security_key');
    assert.equal((await ana.post('/api/me/webauthn/register', { name: '', response: bogus.response })).body.error, 'invalid_request');
    assert.equal((await ana.post('/api/me/webauthn/register', { ...bogus, extra: 1 })).body.error, 'invalid_request');
    assert.equal((await ana.patch('/api/me/webauthn/nope', { name: 'x' })).status, 404);
    assert.equal((await ana.delete('/api/me/webauthn/nope')).status, 404);
    // A full session is not a pending sign-in.
    assert.equal((await ana.post('/api/session/second-factor/webauthn/options')).body.error, 'no_pending_sign_in');
    assert.equal((await new Client(t.app).get('/api/me/webauthn')).status, 401);
  });

  it('asks for user verification for a passkey and refuses an unknown key, with an audit event', async () => {
    const anyone = new Client(t.app);
    const options = (await anyone.post('/api/session/passkey/options')).body;
    assert.equal(options.userVerification, 'required');
    assert.equal(options.rpId, 'login.example.com');
    assert.equal(options.allowCredentials, undefined, 'any discoverable credential');
    const answer = await anyone.post('/api/session/passkey/verify', { response: FAKE_ASSERTION });
    assert.equal(answer.status, 401);
    assert.equal(answer.body.error, 'invalid_security_key');
    assert.equal((await anyone.post('/api/session/passkey/verify', { response: { ...FAKE_ASSERTION, type: 'other' } })).status, 400);
    const events = await t.s.db.selectFrom('audit_events').select('details').where('kind', '=', 'webauthn.failed').execute();
    assert.ok(events.some((e) => JSON.parse(e.details).reason === 'unknown_key'));
  });

  it('consumes a challenge once, only for its purpose, and not after 2 minutes', async () => {
    const anyone = new Client(t.app);
    const first = (await anyone.post('/api/session/passkey/options')).body.challenge as string;
    assert.equal(await consumeChallenge(t.s.db, first, 'second_factor', null, clock.now()), false, 'another purpose');
    assert.equal(await consumeChallenge(t.s.db, first, 'passkey', null, clock.now()), true);
    assert.equal(await consumeChallenge(t.s.db, first, 'passkey', null, clock.now()), false, 'single use');
    const second = (await anyone.post('/api/session/passkey/options')).body.challenge as string;
    clock.advance(CHALLENGE_TTL_MS);
    assert.equal(await consumeChallenge(t.s.db, second, 'passkey', null, clock.now()), false, 'expired');
  });
});
