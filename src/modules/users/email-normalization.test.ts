// Emails are NFKC-normalised and case-folded at create, sign-in, search and the sign-in attempt
// counters; migration 0008 refuses to run, naming them, when stored accounts would collide.
// On SQLite and PostgreSQL.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { Client, STRONG_PASSWORD, seedUser } from '../../test-support/harness.js';
import { up as foldEmails, EmailCollisionError } from '../../db/migrations/0008_email_nfkc.js';
import { normalizeEmail } from './users.repository.js';

describe('normalizeEmail', () => {
  it('folds compatibility forms and case, and is idempotent', () => {
    assert.equal(normalizeEmail(' ｕｓｅｒ@Ｘ.com '), 'user@x.com');
    assert.equal(normalizeEmail('ﬁle@x.com'), 'file@x.com');
    assert.equal(normalizeEmail('ÄNN@x.com'), normalizeEmail('A\u0308nn@x.com'));
    for (const email of ['ｕser@x.com', 'İ@x.com', 'ẞ@x.com']) assert.equal(normalizeEmail(normalizeEmail(email)), normalizeEmail(email));
  });
});

describeOnEachDialect('email normalisation', { resetSettings: true }, (suite) => {
  const { clock } = suite;
  const t = suite.app();

  it('one account per mailbox: create, sign-in, search and the unknown-email lock all fold', async () => {
    await seedUser(t.s, 'nfkc-admin@example.com', 'admin');
    const a = new Client(t.app);
    await a.signIn('nfkc-admin@example.com');
    await a.stepUp();
    const created = await a.post('/api/admin/users', { email: 'ｕser@Fold.example', password: STRONG_PASSWORD, role: 'user' });
    assert.equal(created.status, 201);
    assert.equal(created.body.email, 'user@fold.example');
    assert.equal((await a.post('/api/admin/users', { email: 'USER@fold.example', password: STRONG_PASSWORD, role: 'user' })).body.error, 'email_taken');
    assert.equal((await new Client(t.app).signIn('ＵＳＥＲ@fold.example')).body.status, 'authenticated');
    assert.deepEqual(
      (await a.get(`/api/admin/users?q=${encodeURIComponent('ｕｓ')}`)).body.users.map((u: { email: string }) => u.email),
      ['user@fold.example'],
    );

    const { passwordAttempts } = await t.s.settings.get();
    for (let i = 0; i < passwordAttempts; i++) assert.equal((await new Client(t.app).signIn('ｇhost@fold.example', 'wrong-password-' + i)).status, 401);
    assert.equal((await new Client(t.app).signIn('GHOST@fold.example', 'wrong-password-x')).status, 429, 'one counter for every spelling');
    clock.advance(3_600_000);
  });

  it('the migration refuses colliding accounts, naming them, and changes nothing; otherwise it folds', async () => {
    const raw = async (email: string) => {
      const id = randomUUID();
      await t.s.db
        .insertInto('users')
        .values({
          id,
          email,
          role: 'user',
          password_hash: 'x',
          blocked: 0,
          created_at: clock.now(),
          last_sign_in_at: null,
          password_changed_at: clock.now(),
          two_factor_required_since: null,
          locale: 'en',
        })
        .execute();
      return id;
    };
    const wide = await raw('Ｗide@Migrate.example');
    const first = await raw('twin@migrate.example');
    const second = await raw('ｔwin@migrate.example');
    await assert.rejects(foldEmails(t.s.db), (error: Error) => {
      assert.ok(error instanceof EmailCollisionError);
      for (const named of ['twin@migrate.example', 'ｔwin@migrate.example', first, second])
        assert.ok(error.message.includes(named), `${named} in ${error.message}`);
      assert.ok(!error.message.includes(wide), 'only the colliding ones');
      return true;
    });
    const emailOf = async (id: string) => (await t.s.db.selectFrom('users').select('email').where('id', '=', id).executeTakeFirstOrThrow()).email;
    assert.equal(await emailOf(wide), 'Ｗide@Migrate.example', 'nothing changed');
    await t.s.db.deleteFrom('users').where('id', '=', second).execute();
    await foldEmails(t.s.db);
    assert.equal(await emailOf(wide), 'wide@migrate.example');
    assert.equal(await emailOf(first), 'twin@migrate.example');
  });
});
