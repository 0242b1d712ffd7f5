// An account's names over HTTP (issue 29): the owner sets them (PUT /api/me/profile) and sees them
// in GET /api/session; an administrator sets them on Users (PUT /api/admin/users/:id/profile,
// step-up, audited) and sees them in the list, the email beside them. On both databases.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { type Client, seedUser, uniqueEmail } from '../../test-support/harness.js';

const NAMES = { displayName: 'Ana', givenName: 'Ana María', familyName: 'García' };

describeOnEachDialect('account names', {}, (suite) => {
  const { clock } = suite;
  const t = suite.app();

  async function account(label: string, role: 'admin' | 'user' = 'user'): Promise<{ email: string; id: string; c: Client }> {
    const email = uniqueEmail(label);
    const user = await seedUser(t.s, email, role);
    const c = t.client();
    assert.equal((await c.signIn(email)).status, 200);
    return { email, id: user.id, c };
  }

  it('lets the owner set, normalise and clear their names; GET /api/session shows them', async () => {
    const { c } = await account('owner');
    assert.deepEqual(
      (({ displayName, givenName, familyName }) => ({ displayName, givenName, familyName }))((await c.get('/api/session')).body.user),
      { displayName: null, givenName: null, familyName: null },
      'none yet',
    );
    const set = await c.put('/api/me/profile', { displayName: '  Jose\u0301 ', givenName: 'José', familyName: null });
    assert.equal(set.status, 200);
    assert.deepEqual(set.body, { displayName: 'José', givenName: 'José', familyName: null }, 'trimmed and NFC');
    const { user } = (await c.get('/api/session')).body;
    assert.equal(user.displayName, 'José');
    assert.equal(user.givenName, 'José');
    assert.equal(user.familyName, null);
    const cleared = await c.put('/api/me/profile', { displayName: '', givenName: null, familyName: '   ' });
    assert.deepEqual(cleared.body, { displayName: null, givenName: null, familyName: null });
    assert.equal((await c.get('/api/session')).body.user.displayName, null);
  });

  it('refuses names too long, with control characters, of the wrong type or with extra fields (400), and anonymous callers (401)', async () => {
    const { c } = await account('bad');
    for (const bad of [
      { ...NAMES, displayName: 'a'.repeat(101) },
      { ...NAMES, givenName: 'Ana\u0000' },
      { ...NAMES, familyName: 'Gar\ncía' },
      { ...NAMES, displayName: 'x'.repeat(401) },
      { ...NAMES, displayName: 42 },
      { displayName: 'Ana' },
      { ...NAMES, email: 'other@example.com' },
    ]) {
      const r = await c.put('/api/me/profile', bad);
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.equal(r.body.error, 'invalid_request');
    }
    assert.equal((await c.get('/api/session')).body.user.displayName, null, 'nothing saved');
    assert.equal((await c.put('/api/me/profile', { ...NAMES, displayName: ` ${'a'.repeat(100)} ` })).status, 200, '100 after trimming');
    const anonymous = await t.client().put('/api/me/profile', NAMES);
    assert.equal(anonymous.status, 401);
  });

  it('lets an administrator set a user’s names after a step-up, audited; users see no such route; the list shows names and emails', async () => {
    const { c: admin, email: adminEmail } = await account('admin', 'admin');
    const { c: member, id, email } = await account('member');
    const url = `/api/admin/users/${id}/profile`;
    const fresh = await admin.put(url, NAMES);
    assert.equal(fresh.status, 403);
    assert.equal(fresh.body.error, 'reauthentication_required', 'an admin change needs a step-up');
    assert.equal((await member.put(url, NAMES)).body.error, 'forbidden');
    assert.equal((await admin.stepUp()).status, 204);
    const saved = await admin.put(url, NAMES);
    assert.equal(saved.status, 200);
    assert.equal(saved.body.email, email);
    assert.equal(saved.body.displayName, 'Ana');
    assert.equal((await admin.put('/api/admin/users/00000000-0000-0000-0000-000000000000/profile', NAMES)).status, 404);
    assert.equal((await admin.put(url, { ...NAMES, familyName: 'x\u202ey' })).status, 400);

    const listed = (await admin.get(`/api/admin/users?q=${encodeURIComponent(email)}`)).body.users[0];
    assert.deepEqual([listed.email, listed.displayName, listed.givenName, listed.familyName], [email, 'Ana', 'Ana María', 'García']);
    assert.equal((await member.get('/api/session')).body.user.displayName, 'Ana', 'the owner sees it too');

    clock.advance(1000);
    assert.equal((await admin.put(url, { ...NAMES, displayName: 'Anita' })).status, 200);
    assert.equal((await admin.put(url, { ...NAMES, displayName: 'Anita' })).status, 200, 'the same names again: no change, no event');
    const events = (await admin.get(`/api/admin/audit?kind=user.profile_changed&account=${encodeURIComponent(email)}`)).body.events;
    assert.equal(events.length, 2);
    assert.equal(events[0].actor.email, adminEmail);
    assert.equal(events[0].subject.email, email);
    assert.deepEqual(events[0].details.changed, { displayName: { from: 'Ana', to: 'Anita' } });
    assert.deepEqual(Object.keys(events[1].details.changed).sort(), ['displayName', 'familyName', 'givenName']);
  });
});
