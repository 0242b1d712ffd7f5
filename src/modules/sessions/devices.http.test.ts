// "Your devices": the account's sessions with browser, system and address; sign out one, or
// everywhere else; an administrator ends them all. A signed-out session stops working on every
// instance at once (two app instances on one database). On SQLite and PostgreSQL.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_EPOCH } from '../../test-support/clock.js';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { Client, seedUser } from '../../test-support/harness.js';
import { hashSessionToken } from '../../crypto/tokens.js';
import { describeUserAgent } from './user-agent.js';

const T0 = TEST_EPOCH;
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const SAFARI = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const EDGE = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0';

describe('user agents for people', () => {
  it('names the browser and system, and nothing for what it does not know', () => {
    assert.deepEqual(describeUserAgent(FIREFOX), { browser: 'Firefox 133', system: 'Linux' });
    assert.deepEqual(describeUserAgent(SAFARI), { browser: 'Safari 17', system: 'iOS' });
    assert.deepEqual(describeUserAgent(EDGE), { browser: 'Edge 131', system: 'Windows' });
    assert.deepEqual(describeUserAgent('curl/8.5.0'), { browser: 'curl 8', system: null });
    assert.deepEqual(describeUserAgent(null), { browser: null, system: null });
  });
});

describeOnEachDialect('your devices', (suite) => {
  const { clock } = suite;
  const a = suite.app();
  const b = suite.app();

  async function signedIn(email: string, userAgent: string): Promise<Client> {
    const c = new Client(a.app);
    assert.equal((await c.call('POST', '/api/session', { email, password: 'correct-horse-battery-staple-42' }, { 'user-agent': userAgent })).status, 200);
    return c;
  }
  /** The same cookie, presented to the other instance. */
  function onB(c: Client): Client {
    const other = new Client(b.app);
    other.cookie = c.cookie;
    return other;
  }

  it('lists the sessions (this device marked, no token hash) and signs out one, then everywhere else', async () => {
    await seedUser(a.s, 'devices@example.com');
    await seedUser(a.s, 'neighbour@example.com');
    const laptop = await signedIn('devices@example.com', FIREFOX);
    clock.advance(60_000);
    const phone = await signedIn('devices@example.com', SAFARI);
    clock.advance(60_000);
    const desktop = await signedIn('devices@example.com', EDGE);
    const neighbour = await signedIn('neighbour@example.com', FIREFOX);
    clock.advance(61_000);
    await phone.get('/api/session'); // last active now

    const list = await laptop.get('/api/me/sessions');
    assert.equal(list.status, 200);
    const sessions = list.body.sessions as Array<Record<string, unknown>>;
    assert.equal(sessions.length, 3);
    const byBrowser = (name: string) => sessions.find((s) => s.browser === name)!;
    assert.deepEqual(sessions.map((s) => [s.browser, s.system, s.current]).sort(), [
      ['Edge 131', 'Windows', false],
      ['Firefox 133', 'Linux', true],
      ['Safari 17', 'iOS', false],
    ]);
    assert.equal(sessions[sessions.length - 1]!.browser, 'Edge 131', 'the least recently active last');
    assert.equal(byBrowser('Safari 17').lastActiveAt, new Date(clock.now()).toISOString());
    assert.equal(byBrowser('Edge 131').lastActiveAt, new Date(T0 + 120_000).toISOString());
    assert.equal(byBrowser('Firefox 133').signedInAt, new Date(T0).toISOString());
    assert.equal(byBrowser('Safari 17').address, '127.0.0.1');
    for (const c of [laptop, phone, desktop]) {
      assert.ok(!JSON.stringify(list.body).includes(hashSessionToken(c.cookie!)), 'no token hash leaves the server');
      assert.ok(!JSON.stringify(list.body).includes(c.cookie!), 'nor a token');
    }

    // A stolen cookie may not sign the owner out elsewhere: both actions need this session's step-up.
    assert.equal((await laptop.delete(`/api/me/sessions/${byBrowser('Safari 17').id}`)).body.error, 'reauthentication_required');
    assert.equal((await laptop.post('/api/me/sessions/sign-out-others')).body.error, 'reauthentication_required');
    assert.equal((await onB(phone).get('/api/session')).status, 200, 'nothing ended');
    assert.equal((await laptop.stepUp()).status, 204);

    // Another account's session id is not found; nor is a made-up one; junk is refused.
    const neighbourId = (await neighbour.get('/api/me/sessions')).body.sessions[0].id as string;
    assert.equal((await laptop.delete(`/api/me/sessions/${neighbourId}`)).status, 404);
    assert.equal((await neighbour.get('/api/session')).status, 200);
    assert.equal((await laptop.delete('/api/me/sessions/nope')).status, 404);
    assert.equal((await laptop.delete('/api/me/sessions/%00')).status, 400);

    // Sign out the phone from the laptop: it stops working on the other instance at once.
    assert.equal((await onB(phone).get('/api/session')).status, 200);
    assert.equal((await laptop.delete(`/api/me/sessions/${byBrowser('Safari 17').id}`)).status, 204);
    assert.equal((await onB(phone).get('/api/session')).status, 401);
    assert.equal((await phone.get('/api/session')).status, 401);

    // Sign out everywhere else: the desktop goes, the laptop stays.
    assert.equal((await laptop.post('/api/me/sessions/sign-out-others')).status, 204);
    assert.equal((await onB(desktop).get('/api/session')).status, 401);
    assert.equal((await onB(laptop).get('/api/session')).status, 200);
    assert.deepEqual(
      (await laptop.get('/api/me/sessions')).body.sessions.map((s: { current: boolean }) => s.current),
      [true],
    );
    assert.equal((await neighbour.get('/api/session')).status, 200, "another account's sessions are untouched");
  });

  it("lets an administrator end all of a user's sessions; others may not", async () => {
    await seedUser(a.s, 'ender@example.com', 'admin');
    await seedUser(a.s, 'ended@example.com');
    const admin = await signedIn('ender@example.com', EDGE);
    const one = await signedIn('ended@example.com', FIREFOX);
    const two = await signedIn('ended@example.com', SAFARI);
    const id = (await a.s.users.findByEmail('ended@example.com'))!.id;
    assert.equal((await one.post(`/api/admin/users/${id}/sessions/end`)).status, 403);
    assert.equal((await admin.post('/api/admin/users/00000000-0000-0000-0000-000000000000/sessions/end')).status, 404);
    assert.equal((await admin.post(`/api/admin/users/${id}/sessions/end`)).status, 204);
    assert.equal((await onB(one).get('/api/session')).status, 401);
    assert.equal((await onB(two).get('/api/session')).status, 401);
    assert.equal((await admin.get('/api/session')).status, 200);
    const event = (await admin.get('/api/admin/audit?kind=sessions.ended&account=ended@example.com')).body.events[0];
    assert.equal(event.actor.email, 'ender@example.com');
  });
});
