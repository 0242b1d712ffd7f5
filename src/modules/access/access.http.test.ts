// Who may go where, over HTTP on both databases: the admin API (admins only, changes behind
// step-up, bad input refused whole), and /api/verify deciding from the account, its groups and the
// session on every request, on two instances sharing one database.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { type Client, enrolTwoFactor, seedUser, uniqueEmail } from '../../test-support/harness.js';
import { phoneCode } from '../../test-support/authenticator.js';
import type { TestApp } from '../../test-support/harness.js';
import { MAX_GROUPS } from './access.validation.js';

const ENV = { GATEHOUSE_PUBLIC_URL: 'http://login.example.com', GATEHOUSE_TRUST_PROXY: '127.0.0.1' };
const BROWSER = 'text/html,application/xhtml+xml,*/*;q=0.8';

describeOnEachDialect('who may go where', (suite) => {
  const { clock } = suite;
  const a = suite.app({ env: ENV });
  // A second instance on the same database: what one changes, the other decides with at once.
  const b = suite.app({ env: ENV });

  /** The check a proxy makes for `address` with this client's cookie. */
  const verify = (c: Client, address: string, accept?: string, extra: Record<string, string> = {}) =>
    c.get('/api/verify', { 'x-original-url': address, ...(accept ? { accept } : {}), ...extra });

  async function admin(t: TestApp): Promise<Client> {
    const email = uniqueEmail('admin');
    await seedUser(t.s, email, 'admin');
    const c = t.client();
    await c.signIn(email);
    assert.equal((await c.stepUp()).status, 204);
    return c;
  }

  async function member(t: TestApp, label: string): Promise<{ email: string; id: string; c: Client }> {
    const email = uniqueEmail(label);
    const { id } = await seedUser(t.s, email);
    const c = t.client();
    await c.signIn(email);
    return { email, id, c };
  }

  let host = '';
  let group = '';
  before(() => {
    host = '';
  });

  /** A fresh host and group for each test: no test depends on another's rules. */
  async function fixture(adminClient: Client) {
    const n = Math.random().toString(36).slice(2, 8);
    host = `photos-${n}.example.com`;
    group = `family-${n}`;
    const made = await adminClient.post('/api/admin/groups', { name: group });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    return { groupId: made.body.id as string, host, group };
  }

  it('lets members of the named group in, with Remote-Groups; refuses others with a 403 page, not a redirect', async () => {
    const chief = await admin(a);
    const { groupId, host, group } = await fixture(chief);
    const alice = await member(a, 'alice');
    const carol = await member(a, 'carol');
    assert.equal((await chief.post(`/api/admin/groups/${groupId}/members`, { email: alice.email })).status, 201);
    const rule = await chief.post('/api/admin/access/rules', { host, allow: [`group:${group}`] });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));

    const inside = await verify(alice.c, `https://${host}/albums/2026?sort=date`);
    assert.equal(inside.status, 200);
    assert.equal(inside.headers['remote-groups'], group);
    assert.equal(inside.headers['x-gatehouse-groups'], group);

    const page = await verify(carol.c, `https://${host}/albums`, BROWSER, { 'accept-language': 'es-ES,es;q=0.9' });
    assert.equal(page.status, 403);
    assert.equal(page.headers.location, undefined, 'never a redirect: they are signed in');
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.body), /<html lang="es">/);
    assert.match(String(page.body), new RegExp(`${host} no te deja entrar`));
    assert.match(String(page.body), /no está entre ellos/);
    const script = await verify(carol.c, `https://${host}/albums`);
    assert.deepEqual([script.status, script.body.error, script.body.reason], [403, 'access_denied', 'not_listed']);

    // A host no application names: a new install refuses it (GATEHOUSE_ACCESS_DEFAULT unset, no accounts at upgrade).
    assert.equal((await verify(alice.c, 'https://unknown.example.com/')).body.reason, 'default_deny');
    // No address from the proxy at all: refused too, rather than guessed.
    assert.equal((await alice.c.get('/api/verify')).body.reason, 'no_address');
  });

  it('a removal from the group, made on one instance, refuses the next request on the other', async () => {
    const chief = await admin(a);
    const { groupId, host, group } = await fixture(chief);
    const alice = await member(b, 'alice');
    await chief.post(`/api/admin/groups/${groupId}/members`, { email: alice.email });
    await chief.post('/api/admin/access/rules', { host, allow: [`group:${group}`] });
    assert.equal((await verify(alice.c, `https://${host}/`)).status, 200, 'instance b loaded the rules');

    assert.equal((await chief.delete(`/api/admin/groups/${groupId}/members/${alice.id}`)).status, 204);
    assert.equal((await verify(alice.c, `https://${host}/`)).status, 403, 'instance b knows at once');
    // And a rule change the same way: anyone may now enter.
    const rules = (await chief.get('/api/admin/access')).body.applications.find((x: { host: string }) => x.host === host).rules;
    assert.equal((await chief.delete(`/api/admin/access/rules/${rules[0].id}`)).status, 204);
    await chief.post('/api/admin/access/rules', { host, allow: ['anyone'] });
    assert.equal((await verify(alice.c, `https://${host}/`)).status, 200);
  });

  it('sends a session signed in with the password alone to step up for a two_factors rule, and lets it in after', async () => {
    const chief = await admin(a);
    const { host } = await fixture(chief);
    await chief.post('/api/admin/access/rules', { host, path: '/finance', allow: ['anyone'], factors: 'two_factors' });
    await chief.post('/api/admin/access/rules', { host, allow: ['anyone'] });
    // The laptop signed in before 2FA was turned on (from the phone): its session proved a password only.
    const email = uniqueEmail('dave');
    await seedUser(a.s, email);
    const laptop = a.client();
    await laptop.signIn(email);
    const phone = a.client();
    await phone.signIn(email);
    const { key } = await enrolTwoFactor(phone);
    assert.equal((await verify(phone, `https://${host}/finance/q3`)).status, 200, 'enrolling proved the code in that session');

    const address = `https://${host}/finance/q3?year=2026&x=%2F`;
    const sent = await verify(laptop, address, BROWSER);
    assert.equal(sent.status, 302);
    const location = new URL(String(sent.headers.location));
    assert.equal(`${location.origin}${location.pathname}`, 'http://login.example.com/step-up');
    assert.equal(location.searchParams.get('rd'), address, 'back to the exact address');
    assert.deepEqual([(await verify(laptop, address)).status, (await verify(laptop, address)).body.error], [401, 'step_up_required']);
    assert.equal((await verify(laptop, `https://${host}/albums`)).status, 200, 'the rest of the host asks for a password only');

    clock.advance(30_000);
    assert.equal((await laptop.stepUp(undefined, phoneCode(key, clock.now()))).status, 204);
    assert.equal((await verify(laptop, address)).status, 200);
    clock.advance(3 * 3600_000);
    assert.equal((await verify(laptop, address)).status, 200, 'the session proved two factors: not only for the step-up window');
  });

  it('a security_key rule refuses a session that signed in with a code', async () => {
    const chief = await admin(a);
    const { host } = await fixture(chief);
    await chief.post('/api/admin/access/rules', { host, allow: ['anyone'], factors: 'security_key' });
    const email = uniqueEmail('erin');
    await seedUser(a.s, email);
    const c = a.client();
    await c.signIn(email);
    await enrolTwoFactor(c);
    const page = await verify(c, `https://${host}/`, BROWSER);
    assert.equal(page.status, 403);
    assert.match(String(page.body), /security key or passkey/);
    assert.deepEqual(
      [(await verify(c, `https://${host}/`)).body.reason, (await verify(c, `https://${host}/`)).body.needs],
      ['factors_too_weak', 'security_key'],
    );
  });

  it('audits refusals by policy at most once a minute per person and application, with a count', async () => {
    const chief = await admin(a);
    const { host } = await fixture(chief);
    await chief.post('/api/admin/access/rules', { host, deny: true });
    const carol = await member(a, 'carol');
    for (let i = 0; i < 5; i++) assert.equal((await verify(carol.c, `https://${host}/x${i}`)).status, 403);
    clock.advance(61_000);
    await verify(carol.c, `https://${host}/again`);
    const events = await a.s.db
      .selectFrom('audit_events')
      .select(['details'])
      .where('kind', '=', 'access.refused')
      .where('subject_id', '=', carol.id)
      .orderBy('at')
      .execute();
    assert.deepEqual(
      events.map((e) => [JSON.parse(e.details).reason, JSON.parse(e.details).count]),
      [
        ['rule_denies', 1],
        ['rule_denies', 5],
      ],
    );
    const changes = await a.s.db.selectFrom('audit_events').select('kind').where('kind', 'like', 'access.%').where('kind', '!=', 'access.refused').execute();
    assert.ok(changes.some((e) => e.kind === 'access.rule_added') && changes.some((e) => e.kind === 'access.application_created'));
  });

  it('is for administrators, and every change asks for a recent step-up', async () => {
    const plain = await member(a, 'plain');
    assert.equal((await plain.c.get('/api/admin/groups')).status, 403);
    assert.equal((await plain.c.post('/api/admin/groups', { name: 'mine' })).status, 403);
    assert.deepEqual((await plain.c.get('/api/me/groups')).body, { groups: [] });
    const email = uniqueEmail('fresh-admin');
    await seedUser(a.s, email, 'admin');
    const fresh = a.client();
    await fresh.signIn(email);
    assert.equal((await fresh.get('/api/admin/access')).status, 200, 'reading needs no step-up');
    for (const [method, url, body] of [
      ['POST', '/api/admin/groups', { name: 'stolen-cookie' }],
      ['POST', '/api/admin/access/rules', { host: 'x.example.com', allow: ['anyone'] }],
      ['POST', '/api/admin/access/applications', { host: 'y.example.com' }],
    ] as const) {
      const r = await fresh.call(method, url, body);
      assert.equal(r.body.error, 'reauthentication_required', url);
    }
    assert.equal(
      (await fresh.get('/api/admin/groups?limit=10000')).body.groups.some((g: { name: string }) => g.name === 'stolen-cookie'),
      false,
    );
  });

  it('refuses bad input with a clear 400 and saves nothing', async () => {
    const chief = await admin(a);
    const { groupId, group } = await fixture(chief);
    await chief.post('/api/admin/access/rules', { host: 'wiki.example.com', path: '/hr', allow: [`group:${group}`] }).catch(() => {});
    const snapshot = async () => JSON.stringify((await chief.get('/api/admin/access')).body);
    const before = await snapshot();
    const cases: Array<[unknown, number, RegExp]> = [
      [{ host: 'wiki.example.com', path: '/hr', allow: ['anyone'] }, 400, /already has a rule for \/hr/],
      [{ host: 'wiki.example.com', path: 'hr', allow: ['anyone'] }, 400, /must start with "\/"/],
      [{ host: 'https://wiki.example.com', allow: ['anyone'] }, 400, /without http/],
      [{ host: 'wiki.example.com:8000-8100', allow: ['anyone'] }, 400, /no ranges/],
      [{ host: 'wiki.example.com:70000', allow: ['anyone'] }, 400, /from 1 to 65535/],
      [{ host: 'wiki..example.com', allow: ['anyone'] }, 400, /not a host/],
      [{ host: 'new.example.com', allow: ['group:nobody'] }, 400, /no group named "nobody"/],
      [{ host: 'new.example.com', allow: ['user:nobody@example.com'] }, 400, /no user with the email/],
      [{ host: 'new.example.com', allow: [`group:${group}`, 'anyone'] }, 400, /name it alone/],
      [{ host: 'new.example.com', allow: [] }, 400, /Say who may enter/],
      [{ host: 'new.example.com', allow: Array.from({ length: 10_000 }, (_, i) => `group:g${i}`) }, 400, /at most 100 groups and people/],
      [{ host: 'new.example.com', deny: true, factors: 'two_factors' }, 400, /takes no factors/],
      [{ host: 'new.example.com', path: '/a/../b', allow: ['anyone'] }, 400, /no "\." or "\.\." segments/],
      [{ host: 'new.example.com', path: '/a?b=1', allow: ['anyone'] }, 400, /no query/],
      [{ host: 'new.example.com', allow: ['anyone'], factors: 'three' }, 400, /not valid/],
      [{ host: 'new.example.com', allow: ['anyone'], extra: 1 }, 400, /not valid/],
    ];
    for (const [body, status, message] of cases) {
      const r = await chief.post('/api/admin/access/rules', body);
      assert.equal(r.status, status, JSON.stringify(body).slice(0, 200));
      assert.match(r.body.message, message, JSON.stringify(body).slice(0, 200));
    }
    for (const name of ['Family', 'a b', '', 'x'.repeat(65), 'ünï']) {
      assert.equal((await chief.post('/api/admin/groups', { name })).status, 400, name);
    }
    assert.equal((await chief.post('/api/admin/groups', { name: group })).body.error, 'group_exists');
    assert.equal((await chief.post(`/api/admin/groups/${groupId}/members`, { email: 'nobody@example.com' })).status, 400);
    assert.equal((await chief.delete(`/api/admin/groups/${groupId}`)).body.error, 'group_in_use');
    assert.equal((await chief.post('/api/admin/access/applications', { host: 'wiki.example.com' })).body.error, 'application_exists');
    assert.equal(await snapshot(), before, 'nothing half-saved');
  });

  it('keeps at most 10,000 groups and 1,000 rules, and says so', async () => {
    const chief = await admin(a);
    const existing = (await chief.get('/api/admin/groups?limit=10000')).body.groups.length as number;
    const rows = Array.from({ length: MAX_GROUPS - existing }, (_, i) => ({ id: `bulk-${i}`, name: `bulk-${i}`, created_at: clock.now() }));
    for (let i = 0; i < rows.length; i += 500)
      await a.s.db
        .insertInto('groups')
        .values(rows.slice(i, i + 500))
        .execute();
    const over = await chief.post('/api/admin/groups', { name: 'one-too-many' });
    assert.deepEqual([over.status, over.body.message], [400, 'There are already 10000 groups, the most Gatehouse keeps.']);
    assert.equal((await chief.get('/api/admin/groups?limit=10000')).body.groups.length, MAX_GROUPS);
    await a.s.db.deleteFrom('groups').where('id', 'like', 'bulk-%').execute();

    const application = (await chief.post('/api/admin/access/applications', { host: `bulk-${Date.now()}.example.com` })).body;
    const count = Number(
      (
        await a.s.db
          .selectFrom('access_rules')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    const ruleRows = Array.from({ length: 1000 - count }, (_, i) => ({
      id: `bulk-rule-${i}`,
      application_id: application.id,
      path: `/p${i}`,
      effect: 'allow' as const,
      anyone: 1,
      factors: 'password' as const,
      created_at: clock.now(),
    }));
    for (let i = 0; i < ruleRows.length; i += 200)
      await a.s.db
        .insertInto('access_rules')
        .values(ruleRows.slice(i, i + 200))
        .execute();
    const tooMany = await chief.post('/api/admin/access/rules', { host: application.host, path: '/last', allow: ['anyone'] });
    assert.deepEqual([tooMany.status, tooMany.body.message], [400, 'There are already 1000 rules, the most Gatehouse keeps.']);
    assert.equal((await chief.delete(`/api/admin/access/applications/${application.id}`)).status, 204, 'its rules go with it');
  });
});
