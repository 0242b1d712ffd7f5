// Applications restricted to groups over HTTP: allowedGroups on create, PATCH and the list; an
// unknown group is a 400 with nothing saved; a change needs a step-up. On both databases.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { seedUser, uniqueEmail } from '../../test-support/harness.js';

describeOnEachDialect('applications restricted to groups', {}, (suite) => {
  const t = suite.app();

  it('creates, restricts, opens and lists applications with allowedGroups; refuses unknown groups with nothing saved', async () => {
    const email = uniqueEmail('admin');
    await seedUser(t.s, email, 'admin');
    const c = t.client();
    assert.equal((await c.signIn(email)).status, 200);
    const body = { name: 'Photos', redirectUris: ['https://photos.example.com/cb'], allowedGroups: ['family'] };
    assert.equal((await c.post('/api/admin/applications', body)).body.error, 'reauthentication_required', 'a change needs a step-up');
    assert.equal((await c.stepUp()).status, 204);
    await t.s.groups.create('family', 'cli', null);
    await t.s.groups.create('friends', 'cli', null);

    const count = async () => (await c.get('/api/admin/applications')).body.applications.length as number;
    const before = await count();
    const unknown = await c.post('/api/admin/applications', { ...body, allowedGroups: ['family', 'nosuch'] });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error, 'invalid_request');
    assert.match(unknown.body.message, /no group named "nosuch"/);
    assert.equal(await count(), before, 'nothing half-saved');

    const created = await c.post('/api/admin/applications', body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.application.allowedGroups, ['family']);
    const id = created.body.client_id as string;

    const both = await c.call('PATCH', `/api/admin/applications/${id}`, { allowedGroups: ['friends', 'family'] });
    assert.equal(both.status, 200, JSON.stringify(both.body));
    assert.deepEqual(both.body.allowedGroups, ['family', 'friends']);
    const refused = await c.call('PATCH', `/api/admin/applications/${id}`, { allowedGroups: ['nosuch'] });
    assert.equal(refused.status, 400);
    const listed = (await c.get('/api/admin/applications')).body.applications as Array<{ id: string; allowedGroups: string[] }>;
    assert.deepEqual(listed.find((a) => a.id === id)?.allowedGroups, ['family', 'friends'], 'a refused change changes nothing');
    assert.equal((await c.call('PATCH', '/api/admin/applications/nope', { allowedGroups: [] })).status, 404);

    // The group is named by an application: deleting it would silently open or close the door.
    const family = await t.s.groups.findByName('family');
    assert.equal((await c.call('DELETE', `/api/admin/groups/${family!.id}`)).body.error, 'group_in_use');

    const opened = await c.call('PATCH', `/api/admin/applications/${id}`, { allowedGroups: [] });
    assert.deepEqual(opened.body.allowedGroups, []);
    const audit = (await c.get('/api/admin/audit')).body.events as Array<{ kind: string; details: Record<string, unknown> }>;
    assert.ok(audit.some((e) => e.kind === 'oidc.client_updated' && e.details.clientId === id));
  });

  it('sets, changes and removes the back-channel logout address; refuses one with a fragment and an empty change', async () => {
    const email = uniqueEmail('admin');
    await seedUser(t.s, email, 'admin');
    const c = t.client();
    assert.equal((await c.signIn(email)).status, 200);
    assert.equal((await c.stepUp()).status, 204);
    const created = await c.post('/api/admin/applications', {
      name: 'Chat',
      redirectUris: ['https://chat.example.com/cb'],
      backchannelLogoutUri: 'https://chat.example.com/logout',
      backchannelLogoutSessionRequired: true,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.application.backchannelLogoutUri, 'https://chat.example.com/logout');
    assert.equal(created.body.application.backchannelLogoutSessionRequired, true);
    const id = created.body.client_id as string;
    const fragment = await c.call('PATCH', `/api/admin/applications/${id}`, { backchannelLogoutUri: 'https://chat.example.com/logout#x' });
    assert.equal(fragment.status, 400);
    assert.equal((await c.call('PATCH', `/api/admin/applications/${id}`, {})).status, 400);
    const moved = await c.call('PATCH', `/api/admin/applications/${id}`, { backchannelLogoutUri: 'https://chat.example.com/bc' });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.backchannelLogoutUri, 'https://chat.example.com/bc');
    assert.deepEqual(moved.body.allowedGroups, [], 'what is left out stays');
    const removed = await c.call('PATCH', `/api/admin/applications/${id}`, { backchannelLogoutUri: null });
    assert.equal(removed.body.backchannelLogoutUri, null);
    const listed = (await c.get('/api/admin/applications')).body.applications as Array<{ id: string; backchannelLogoutUri: string | null }>;
    assert.equal(listed.find((a) => a.id === id)?.backchannelLogoutUri, null);
  });
});
