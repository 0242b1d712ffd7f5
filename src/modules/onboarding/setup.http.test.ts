// First run in the browser, through the API on SQLite and PostgreSQL, each case on a database of
// its own with no user: the setup link the server prints creates exactly one administrator; no
// token, a wrong one, an expired one, a second use and any use after setup are refused; two links
// used at once on two instances of one database still make one administrator.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { STRONG_PASSWORD, seedUser } from '../../test-support/harness.js';
import { tokenOf } from '../../test-support/smtp.js';

describeOnEachDialect('first-run setup', (suite) => {
  async function freshInstall() {
    const database = await suite.createDatabase();
    return suite.startApp({ url: database.url, env: { GATEHOUSE_PUBLIC_URL: 'http://login.example.com/' } });
  }

  it('creates the first administrator with the printed link, once; nothing without it, nothing after it', async () => {
    const t = await freshInstall();
    const issued = await t.s.setup.issueLink();
    assert.ok(issued);
    assert.match(issued.link, /^http:\/\/login\.example\.com\/setup\?token=[A-Za-z0-9_-]{43}$/);
    assert.equal(issued.expiresAt, suite.clock.now() + 3_600_000, 'an hour');
    const token = tokenOf(issued.link);
    const stored = await t.s.db.selectFrom('setup_tokens').select('token_hash').execute();
    assert.ok(
      stored.every((r) => r.token_hash !== token && r.token_hash.length === 64),
      'only the SHA-256 is stored',
    );

    const anon = t.client();
    const body = { email: 'Root@Example.com', password: STRONG_PASSWORD, locale: 'es' };
    assert.equal((await anon.post('/api/setup', { ...body })).status, 400, 'no token: the schema refuses');
    for (const wrong of ['', 'A'.repeat(43), `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, '../../etc/passwd']) {
      const answer = await anon.post('/api/setup', { ...body, token: wrong });
      assert.equal(answer.status, 400, `token "${wrong}"`);
    }
    assert.equal((await anon.post('/api/setup', { ...body, token: 'A'.repeat(43) })).body.error, 'invalid_setup_token');
    const weak = await anon.post('/api/setup', { ...body, token, password: 'short' });
    assert.equal(weak.body.error, 'weak_password', 'the same password rules');
    assert.equal(await t.s.users.findByEmail('root@example.com'), undefined, 'nothing was created by any of these');

    assert.deepEqual((await anon.post('/api/setup/check', { token })).body.state, 'ready');
    const done = await anon.post('/api/setup', { ...body, token });
    assert.equal(done.status, 201, JSON.stringify(done.body));
    assert.equal(done.body.status, 'authenticated');
    assert.equal(done.body.user.role, 'admin');
    assert.equal(done.body.user.email, 'root@example.com');
    assert.equal((await anon.get('/api/session')).body.user.role, 'admin', 'signed in on this browser');
    const root = await t.s.users.findByEmail('root@example.com');
    assert.equal(root?.locale, 'es', 'the language chosen');

    const again = await t.client().post('/api/setup', { ...body, email: 'intruder@example.com', token });
    assert.equal(again.status, 409);
    assert.equal(again.body.error, 'setup_done');
    assert.equal((await t.client().post('/api/setup/check', { token })).body.state, 'done');
    assert.equal(await t.s.setup.issueLink(), null, 'no new link once there is a user');
    assert.equal((await t.s.db.selectFrom('setup_tokens').selectAll().execute()).length, 0, 'every link is gone');
    const kinds = (await t.s.db.selectFrom('audit_events').select('kind').execute()).map((e) => e.kind);
    assert.ok(kinds.includes('setup.completed') && kinds.includes('user.created'));
  });

  it('refuses a link an hour old, and any link once the CLI made a user', async () => {
    const t = await freshInstall();
    const first = tokenOf((await t.s.setup.issueLink())!.link);
    suite.clock.advance(3_600_000);
    const late = await t.client().post('/api/setup', { token: first, email: 'root@example.com', password: STRONG_PASSWORD, locale: 'en' });
    assert.equal(late.body.error, 'setup_token_expired');
    assert.equal((await t.client().post('/api/setup/check', { token: first })).body.error, 'setup_token_expired');

    const second = tokenOf((await t.s.setup.issueLink())!.link);
    await seedUser(t.s, 'cli-admin@example.com', 'admin');
    const after = await t.client().post('/api/setup', { token: second, email: 'root@example.com', password: STRONG_PASSWORD, locale: 'en' });
    assert.equal(after.body.error, 'setup_done');
    assert.equal(await t.s.users.findByEmail('root@example.com'), undefined);
  });

  it('two links used at once on two instances: exactly one administrator', async () => {
    const database = await suite.createDatabase();
    const a = await suite.startApp({ url: database.url });
    const b = await suite.startApp({ url: database.url });
    const tokenA = tokenOf((await a.s.setup.issueLink())!.link);
    const tokenB = tokenOf((await b.s.setup.issueLink())!.link);
    const answers = await Promise.all([
      a.client().post('/api/setup', { token: tokenA, email: 'first@example.com', password: STRONG_PASSWORD, locale: 'en' }),
      b.client().post('/api/setup', { token: tokenB, email: 'second@example.com', password: STRONG_PASSWORD, locale: 'en' }),
    ]);
    assert.deepEqual(answers.map((x) => x.status).sort(), [201, 409], JSON.stringify(answers.map((x) => x.body)));
    const users = await a.s.db.selectFrom('users').select(['email', 'role']).execute();
    assert.equal(users.length, 1);
    assert.equal(users[0]!.role, 'admin');
  });
});
