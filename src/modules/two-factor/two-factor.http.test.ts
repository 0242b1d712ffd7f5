// Two-factor authentication end to end over HTTP, with codes from an independent authenticator,
// on SQLite and PostgreSQL; racing submissions spread over two app instances on one database.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { type Client, STRONG_PASSWORD, enrolTwoFactor, seedUser, uniqueEmail } from '../../test-support/harness.js';
import { phoneCode } from '../../test-support/authenticator.js';

describeOnEachDialect('two-factor authentication', { resetSettings: true }, (suite) => {
  const { clock } = suite;
  const a = suite.app();
  const b = suite.app();

  /** A new account with 2FA, signed in on `a`; `skewMs`: how far the phone's clock is off (positive: ahead). */
  async function enrol(email: string, skewMs = 0): Promise<{ key: string; codes: string[]; client: Client }> {
    await seedUser(a.s, email);
    const client = a.client();
    assert.equal((await client.signIn(email)).body.status, 'authenticated');
    const { key, backupCodes } = await enrolTwoFactor(client, { at: clock.now() + skewMs });
    return { key, codes: backupCodes, client };
  }

  it('says how far off the phone clock seems when a confirmation code fits another time', async () => {
    const skewed = uniqueEmail('skewed');
    await seedUser(a.s, skewed);
    const c = a.client();
    await c.signIn(skewed);
    await c.stepUp();
    const { key } = (await c.post('/api/me/2fa/setup')).body;
    const behind = await c.post('/api/me/2fa/enable', { code: phoneCode(key, clock.now() - 120_000) });
    assert.equal(behind.status, 400);
    assert.equal(behind.body.error, 'invalid_code');
    assert.equal(behind.body.clockOffsetSeconds, -120);
    assert.equal((await c.post('/api/me/2fa/enable', { code: phoneCode(key, clock.now() + 90_000) })).body.clockOffsetSeconds, 90);
    const far = await c.post('/api/me/2fa/enable', { code: phoneCode(key, clock.now() + 3_600_000) });
    assert.equal(far.body.error, 'invalid_code');
    assert.equal(far.body.clockOffsetSeconds, undefined, 'an hour off is just a wrong code');
  });

  it('enrols, signs in with a fresh code, refuses replays, spends backup codes once, replaces and disables', async () => {
    const ana = uniqueEmail('ana');
    await seedUser(a.s, ana);
    const c = a.client();
    await c.signIn(ana);

    await c.stepUp();
    const setup = await c.post('/api/me/2fa/setup');
    assert.equal(setup.status, 200);
    assert.equal(setup.body.accountName, ana);
    assert.equal(setup.body.issuer, 'Gatehouse');
    assert.match(setup.body.key, /^[A-Z2-7]{32}$/);
    assert.equal(
      setup.body.otpauthUri,
      `otpauth://totp/Gatehouse:${encodeURIComponent(ana)}?issuer=Gatehouse&secret=${setup.body.key}&algorithm=SHA1&digits=6&period=30`,
    );
    assert.match(setup.body.qrSvg, /^<svg/);

    // A second setup replaces the first: the first key no longer enables.
    const again = await c.post('/api/me/2fa/setup');
    assert.notEqual(again.body.key, setup.body.key);
    const stale = await c.post('/api/me/2fa/enable', { code: phoneCode(setup.body.key, clock.now()) });
    assert.equal(stale.status, 400);
    const key = again.body.key as string;

    const wrong = await c.post('/api/me/2fa/enable', { code: '000000' === phoneCode(key, clock.now()) ? '111111' : '000000' });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'invalid_code');
    assert.equal((await c.get('/api/me/2fa')).body.enabled, false, 'a wrong code changes nothing');

    const enabled = await c.post('/api/me/2fa/enable', { code: phoneCode(key, clock.now()) });
    assert.equal(enabled.status, 200);
    const codes: string[] = enabled.body.backupCodes;
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const code of codes) assert.match(code, /^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);
    assert.equal((await c.post('/api/me/2fa/enable', { code: phoneCode(key, clock.now()) })).body.error, 'already_enabled');
    assert.equal((await c.post('/api/me/2fa/setup')).body.error, 'already_enabled');
    const status = (await c.get('/api/me/2fa')).body;
    assert.equal(status.enabled, true);
    assert.equal(status.backupCodesLeft, 10);
    assert.equal((await c.get('/api/session')).body.user.twoFactorEnabled, true);

    // Sign in again: the password alone is not enough.
    await c.delete('/api/session');
    const first = await c.signIn(ana);
    assert.deepEqual(first.body, { status: 'second_factor_required' });
    const pendingToken = c.cookie;
    assert.equal((await c.get('/api/session')).status, 401, 'a pending sign-in is not a session');
    assert.equal((await c.get('/api/me/2fa')).status, 401);
    assert.equal((await c.post('/api/me/password', { currentPassword: STRONG_PASSWORD, newPassword: 'another-long-password-77' })).status, 401);

    // The enrolment code's step counts as used.
    const replayEnrol = await c.post('/api/session/second-factor', { code: phoneCode(key, clock.now()) });
    assert.equal(replayEnrol.status, 401);
    assert.equal(replayEnrol.body.error, 'invalid_code');

    clock.advance(30_000);
    const ok = await c.post('/api/session/second-factor', { code: phoneCode(key, clock.now()) });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.status, 'authenticated');
    assert.notEqual(c.cookie, pendingToken, 'a new token after the second factor');
    assert.equal((await c.get('/api/session')).body.user.email, ana);

    // The same code, or an older one, is refused.
    await c.delete('/api/session');
    await c.signIn(ana);
    assert.equal((await c.post('/api/session/second-factor', { code: phoneCode(key, clock.now()) })).status, 401);
    assert.equal((await c.post('/api/session/second-factor', { code: phoneCode(key, clock.now() - 30_000) })).status, 401);

    // A backup code, upper case with spaces, works once and reports 9 left.
    const typed = codes[0]!.toUpperCase().replace(/-/g, ' ');
    const backup = await c.post('/api/session/second-factor', { code: typed });
    assert.equal(backup.status, 200);
    assert.equal(backup.body.backupCodesLeft, 9);
    await c.delete('/api/session');
    await c.signIn(ana);
    assert.equal((await c.post('/api/session/second-factor', { code: codes[0] })).status, 401);
    clock.advance(30_000);
    assert.equal((await c.post('/api/session/second-factor', { code: phoneCode(key, clock.now()) })).status, 200);

    // New codes need a step-up (here with a backup code) and an app code; a backup code is
    // refused for them; the old set stops working.
    assert.equal((await c.post('/api/me/2fa/backup-codes', { code: phoneCode(key, clock.now() + 30_000) })).body.error, 'reauthentication_required');
    assert.equal((await c.stepUp(STRONG_PASSWORD, codes[2])).status, 204);
    const withBackup = await c.post('/api/me/2fa/backup-codes', { code: codes[1] });
    assert.equal(withBackup.status, 400);
    assert.equal(withBackup.body.error, 'invalid_code');
    clock.advance(30_000);
    const fresh = await c.post('/api/me/2fa/backup-codes', { code: phoneCode(key, clock.now()) });
    assert.equal(fresh.status, 200);
    assert.equal(fresh.body.backupCodes.length, 10);
    await c.delete('/api/session');
    await c.signIn(ana);
    assert.equal((await c.post('/api/session/second-factor', { code: codes[1] })).status, 401, 'old set is gone');
    assert.equal((await c.post('/api/session/second-factor', { code: fresh.body.backupCodes[0] })).status, 200);
    assert.equal((await c.get('/api/me/2fa')).body.backupCodesLeft, 9);

    // Disabling needs a step-up (password and code) and the password.
    assert.equal((await c.post('/api/me/2fa/disable', { password: STRONG_PASSWORD })).body.error, 'reauthentication_required');
    assert.equal((await c.stepUp(STRONG_PASSWORD)).body.error, 'invalid_code', 'the code is required when 2FA is on');
    assert.equal((await c.stepUp(STRONG_PASSWORD, fresh.body.backupCodes[0])).body.error, 'invalid_code', 'a spent backup code');
    assert.equal((await c.stepUp(STRONG_PASSWORD, fresh.body.backupCodes[1])).status, 204);
    const badDisable = await c.post('/api/me/2fa/disable', { password: 'not-my-password-at-all' });
    assert.equal(badDisable.status, 401);
    assert.equal(badDisable.body.error, 'invalid_credentials');
    assert.equal((await c.post('/api/me/2fa/disable', { password: STRONG_PASSWORD })).status, 204);
    assert.equal((await c.post('/api/me/2fa/disable', { password: STRONG_PASSWORD })).body.error, 'not_enabled');
    await c.delete('/api/session');
    assert.equal((await c.signIn(ana)).body.status, 'authenticated');
    const rows = await a.s.db.selectFrom('backup_codes').selectAll().execute();
    assert.equal(rows.filter((r) => r.user_id === ok.body.user.id).length, 0, 'codes deleted with the secret');

    const kinds = (await a.s.db.selectFrom('audit_events').select('kind').where('subject_email', '=', ana).execute()).map((e) => e.kind);
    for (const kind of ['2fa.enabled', '2fa.disabled', '2fa.backup_code_used', '2fa.backup_codes_generated', '2fa.code_replay_refused']) {
      assert.ok(kinds.includes(kind), kind);
    }
  });

  it('accepts a phone 55 s off either way from enrolment on, then only ±1 step around its learned offset', async () => {
    for (const skew of [55_000, -55_000]) {
      const email = uniqueEmail(`drift-${skew > 0 ? 'ahead' : 'behind'}`);
      const { key, client } = await enrol(email, skew);
      const userId = (await a.s.users.findByEmail(email))!.id;
      // Sign-ins at different points within a step: the phone's minute keeps working.
      for (let i = 0; i < 4; i++) {
        clock.advance(67_000);
        await client.delete('/api/session');
        await client.signIn(email);
        assert.equal((await client.post('/api/session/second-factor', { code: phoneCode(key, clock.now() + 150_000) })).status, 401, '150 s ahead: refused');
        assert.equal((await client.post('/api/session/second-factor', { code: phoneCode(key, clock.now() + skew) })).status, 200, `sign-in ${i}`);
      }
      assert.equal(Math.sign((await client.get('/api/me/2fa')).body.clockOffsetSeconds), Math.sign(skew), 'offset learned');
      clock.advance(10 * 60_000);
      await client.delete('/api/session');
      await client.signIn(email);
      const row = await a.s.db.selectFrom('two_factor').select('recent_offsets').where('user_id', '=', userId).executeTakeFirstOrThrow();
      const learned = (JSON.parse(row.recent_offsets) as number[]).at(-1)!;
      assert.ok(Math.abs(learned) >= 1 && Math.abs(learned) <= 2, `learned ${learned}`);
      // Two steps from the learned offset, towards now: inside the old ±2 window, refused now.
      const twoAway = learned - 2 * Math.sign(learned);
      assert.equal(
        (await client.post('/api/session/second-factor', { code: phoneCode(key, clock.now() + twoAway * 30_000) })).status,
        401,
        `offset ${twoAway} refused`,
      );
      assert.equal((await client.post('/api/session/second-factor', { code: phoneCode(key, clock.now() + learned * 30_000) })).status, 200);
    }
  });

  it('lets exactly one of 20 racing submissions of one app code through, across two instances', async () => {
    // Room for all 19 refusals: this is about the used-step check, not the attempt limit.
    await suite.resetSettings({ codeAttempts: 100 });
    const race = uniqueEmail('race');
    const { key } = await enrol(race);
    clock.advance(60_000);
    const clients = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).client());
    for (const c of clients) assert.equal((await c.signIn(race)).body.status, 'second_factor_required');
    const code = phoneCode(key, clock.now());
    const answers = await Promise.all(clients.map((c) => c.post('/api/session/second-factor', { code })));
    const statuses = answers.map((r) => r.status).sort();
    assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(','));
    assert.ok(answers.filter((r) => r.status !== 200).every((r) => r.body.error === 'invalid_code'));
  });

  it('lets exactly one of 20 racing submissions of one backup code through, across two instances', async () => {
    await suite.resetSettings({ codeAttempts: 100 });
    const race = uniqueEmail('race-backup');
    const { codes } = await enrol(race);
    const clients = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).client());
    for (const c of clients) assert.equal((await c.signIn(race)).body.status, 'second_factor_required');
    const answers = await Promise.all(clients.map((c) => c.post('/api/session/second-factor', { code: codes[3] })));
    assert.equal(answers.filter((r) => r.status === 200).length, 1);
    const left = answers.find((r) => r.status === 200)!.body.backupCodesLeft;
    assert.equal(left, 9);
  });

  it('keeps no TOTP secret or backup code in clear in the database', async () => {
    const { key, codes } = await enrol(uniqueEmail('vault'));
    const rows = [
      ...(await a.s.db.selectFrom('two_factor').selectAll().execute()),
      ...(await a.s.db.selectFrom('backup_codes').selectAll().execute()),
      ...(await a.s.db.selectFrom('audit_events').selectAll().execute()),
    ];
    const dump = JSON.stringify(rows);
    const forms = (text: string) => [text, text.toLowerCase(), Buffer.from(text).toString('base64'), Buffer.from(text).toString('hex')];
    for (const form of forms(key)) assert.ok(!dump.includes(form), 'secret leaked');
    for (const code of codes) for (const form of [...forms(code), ...forms(code.replace(/-/g, ''))]) assert.ok(!dump.includes(form), 'backup code leaked');
    if (suite.dialect.name === 'sqlite') {
      await a.s.db.selectFrom('users').select('id').execute();
      const file = (await import('node:fs')).readFileSync(suite.database.url.slice('sqlite:'.length));
      const wal = (await import('node:fs')).readFileSync(`${suite.database.url.slice('sqlite:'.length)}-wal`);
      for (const bytes of [file, wal]) {
        assert.ok(!bytes.includes(Buffer.from(key)), 'secret in the file');
        for (const code of codes) assert.ok(!bytes.includes(Buffer.from(code.replace(/-/g, ''))), 'backup code in the file');
      }
    }
  });

  it('does not decrypt a secret copied to another account', async () => {
    const [oneEmail, twoEmail] = [uniqueEmail('one'), uniqueEmail('two')];
    const one = await enrol(oneEmail);
    await enrol(twoEmail);
    const ids = await a.s.db.selectFrom('users').select(['id', 'email']).where('email', 'in', [oneEmail, twoEmail]).execute();
    const oneId = ids.find((r) => r.email === oneEmail)!.id;
    const twoId = ids.find((r) => r.email === twoEmail)!.id;
    const row = await a.s.db.selectFrom('two_factor').select('secret_ciphertext').where('user_id', '=', oneId).executeTakeFirstOrThrow();
    await a.s.db.updateTable('two_factor').set({ secret_ciphertext: row.secret_ciphertext }).where('user_id', '=', twoId).execute();
    const c = a.client();
    await c.signIn(twoEmail);
    clock.advance(30_000);
    const r = await c.post('/api/session/second-factor', { code: phoneCode(one.key, clock.now()) });
    assert.equal(r.status, 500, 'the copied ciphertext fails authentication');
    assert.equal(r.body.error, 'internal');
    assert.ok(!JSON.stringify(r.body).includes('decipher'), 'no detail leaks');
  });
});
