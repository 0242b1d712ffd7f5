// Sign in with another provider, end to end on both databases: a second Gatehouse app is the real
// upstream OpenID Connect provider (listening on a loopback port, a confidential client registered
// with `<downstream>/api/upstream/callback`), its sign-in driven as a browser would; the downstream
// Gatehouse talks to it through openid-client. Both apps run on the real clock (realClock), as the
// other OpenID Connect tests do: oidc-provider (inside the upstream) stamps ID tokens' iat/exp with
// the real date whatever clock Gatehouse gives it, and the downstream judges them by its injected
// clock (openid-client's clockSkew), so the two must agree. An expired flow is made by moving its
// expiry into the past in the database, not by moving a clock.
import { before, beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { realClock } from '../../test-support/processes.js';
import { STRONG_PASSWORD, seedUser, uniqueEmail, type TestApp } from '../../test-support/harness.js';
import { freePort } from '../../test-support/processes.js';
import { CookieBrowser, type BrowserAnswer } from '../../test-support/cookie-browser.js';
import { driveInteraction, type InteractionPerson } from '../../test-support/oidc-interaction.js';
import { phoneCode } from '../../test-support/authenticator.js';
import { SoftwareKey } from '../../test-support/software-key.js';
import { describeCliError, runCli } from '../../cli/main.js';
import { upstreamServices } from './index.js';

/** One cookie jar per site, as a browser keeps them (CookieBrowser ignores the port). */
class TwoSiteBrowser {
  private readonly jars = new Map<string, CookieBrowser>();
  private jar(href: string): CookieBrowser {
    const origin = new URL(href).origin;
    if (!this.jars.has(origin)) this.jars.set(origin, new CookieBrowser());
    return this.jars.get(origin)!;
  }
  cookie(origin: string, name: string) {
    return this.jar(origin).cookie(name);
  }
  request = (method: string, href: string, body?: unknown) => this.jar(href).request(method, href, body);
  get = (href: string) => this.request('GET', href);
  post = (href: string, body: unknown = {}) => this.request('POST', href, body);
  delete = (href: string) => this.request('DELETE', href);
  async follow(href: string, stopAt: (url: string) => boolean): Promise<BrowserAnswer> {
    let answer = await this.get(href);
    for (let hops = 0; answer.location && hops < 10; hops++) {
      if (stopAt(answer.location)) return answer;
      answer = await this.get(answer.location);
    }
    return answer;
  }
}

const clock = { now: realClock };

describeOnEachDialect('sign in with another provider', { clock: realClock }, (suite) => {
  let up: TestApp;
  let down: TestApp;
  let upUrl = '';
  let downUrl = '';
  let client = { id: '', secret: '' };
  let plain = '';
  let trusted = '';

  const path = (answer: BrowserAnswer) => {
    const url = new URL(answer.location!);
    return `${url.pathname}${url.search}`;
  };
  const isCallback = (url: string) => url.startsWith(`${downUrl}/api/upstream/callback`);

  /** At the provider, as the person: answers the callback address the provider sent the browser to. */
  async function atProvider(browser: TwoSiteBrowser, providerId: string, who: InteractionPerson): Promise<string> {
    const run = await driveInteraction(browser as unknown as CookieBrowser, `${downUrl}/api/upstream/${providerId}/start`, who, {
      base: () => upUrl,
      isCallback,
      rounds: 6,
    });
    assert.ok(run.callback, `back at the callback: ${JSON.stringify(run)}`);
    return run.callback;
  }

  /** The whole round trip: where the downstream sends the browser after the callback. */
  async function signInUpstream(browser: TwoSiteBrowser, providerId: string, who: InteractionPerson): Promise<string> {
    return path(await browser.get(await atProvider(browser, providerId, who)));
  }

  async function withTwoFactor(t: TestApp, email: string): Promise<string> {
    const c = t.client();
    await c.signIn(email);
    await c.stepUp();
    const { key } = (await c.post('/api/me/2fa/setup')).body;
    // One step behind: the codes the test types later (now, +30 s) are fresh steps.
    assert.equal((await c.post('/api/me/2fa/enable', { code: phoneCode(key, clock.now() - 30_000) })).status, 200);
    return key;
  }

  const links = (userId: string) => down.s.db.selectFrom('upstream_links').selectAll().where('user_id', '=', userId).execute();
  const amrOf = async (userId: string) =>
    JSON.parse(
      (
        await down.s.db
          .selectFrom('sessions')
          .select('amr')
          .where('user_id', '=', userId)
          .where('kind', '=', 'full')
          .orderBy('created_at', 'desc')
          .executeTakeFirstOrThrow()
      ).amr!,
    );

  before(async () => {
    const upPort = await freePort();
    const downPort = await freePort();
    upUrl = `http://127.0.0.1:${upPort}`;
    downUrl = `http://127.0.0.1:${downPort}`;
    const upDb = await suite.createDatabase();
    up = await suite.startApp({ url: upDb.url, env: { GATEHOUSE_PUBLIC_URL: upUrl } });
    down = await suite.startApp({ env: { GATEHOUSE_PUBLIC_URL: downUrl } });
    await up.app.listen({ host: '127.0.0.1', port: upPort });
    await down.app.listen({ host: '127.0.0.1', port: downPort });
    const created = await up.s.clients.create({ name: 'Downstream', redirectUris: [`${downUrl}/api/upstream/callback`], trusted: true }, null, null);
    client = { id: created.client_id, secret: created.client_secret! };
    const { providers } = upstreamServices(down.s);
    plain = (await providers.add({ name: 'Company SSO', issuer: upUrl, clientId: client.id, clientSecret: client.secret }, 'cli', null)).id;
    trusted = (await providers.add({ name: 'Trusted SSO', issuer: upUrl, clientId: client.id, clientSecret: client.secret, trustedMfa: true }, 'cli', null)).id;
  });
  beforeEach(async () => {
    await suite.resetSettings();
  });

  it('creates an account when registration is open (the upstream email is verified), and signs it in with amr fed', async () => {
    await suite.resetSettings({ registration: 'open' });
    const email = uniqueEmail('newcomer');
    await seedUser(up.s, email);
    const browser = new TwoSiteBrowser();
    assert.equal(await signInUpstream(browser, plain, { email }), '/');
    const session = await browser.get(`${downUrl}/api/session`);
    assert.equal(session.status, 200);
    assert.equal(session.body.user.email, email);
    const user = (await down.s.users.findByEmail(email))!;
    assert.equal(user.password_hash, '!upstream', 'no password anyone could guess');
    assert.equal((await links(user.id)).length, 1);
    assert.deepEqual(await amrOf(user.id), ['fed']);
    assert.equal(browser.cookie(downUrl, 'gatehouse_upstream_flow'), undefined, 'the flow cookie is spent');

    // The same person again, in another browser: straight in, no second account.
    const again = new TwoSiteBrowser();
    assert.equal(await signInUpstream(again, plain, { email }), '/');
    assert.equal((await again.get(`${downUrl}/api/session`)).body.user.id, user.id);
  });

  it('creates nothing when registration is off, or not open to the domain', async () => {
    const email = uniqueEmail('stranger');
    await seedUser(up.s, email);
    assert.equal(await signInUpstream(new TwoSiteBrowser(), plain, { email }), '/sign-in?upstream_error=registration_closed');
    await suite.resetSettings({ registration: 'open', registrationDomains: ['elsewhere.test'] });
    assert.equal(await signInUpstream(new TwoSiteBrowser(), plain, { email }), '/sign-in?upstream_error=registration_domain');
    assert.equal(await down.s.users.findByEmail(email), undefined);
    assert.equal((await down.s.db.selectFrom('upstream_links').selectAll().where('email', '=', email).execute()).length, 0);
  });

  it('with approval on, the new account waits and is not signed in', async () => {
    await suite.resetSettings({ registration: 'approval' });
    const email = uniqueEmail('waiting');
    await seedUser(up.s, email);
    const browser = new TwoSiteBrowser();
    assert.equal(await signInUpstream(browser, plain, { email }), '/sign-in?upstream_error=awaiting_approval');
    assert.equal((await down.s.users.findByEmail(email))?.awaiting_approval, 1);
    assert.equal((await browser.get(`${downUrl}/api/session`)).status, 401);
  });

  it('a verified email of an existing account links only after its password and code; then upstream goes to the second step', async () => {
    const email = uniqueEmail('owner');
    await seedUser(up.s, email);
    const account = await seedUser(down.s, email);
    const key = await withTwoFactor(down, email);
    const browser = new TwoSiteBrowser();
    assert.equal(await signInUpstream(browser, plain, { email }), '/sign-in?upstream_link=1');
    assert.equal((await browser.get(`${downUrl}/api/session`)).status, 401, 'not signed in on the provider’s word');
    const waiting = await browser.get(`${downUrl}/api/upstream/link`);
    assert.equal(waiting.status, 200);
    assert.deepEqual([waiting.body.email, waiting.body.provider.name], [email, 'Company SSO']);

    const wrong = await browser.post(`${downUrl}/api/upstream/link`, { password: 'not-the-password-at-all' });
    assert.deepEqual([wrong.status, wrong.body.error], [401, 'invalid_credentials']);
    assert.equal((await links(account.id)).length, 0);
    const right = await browser.post(`${downUrl}/api/upstream/link`, { password: STRONG_PASSWORD });
    assert.equal(right.body.status, 'second_factor_required');
    assert.equal((await links(account.id)).length, 0, 'not linked before the second factor');
    const badCode = await browser.post(`${downUrl}/api/upstream/link/second-factor`, { code: '000000' });
    assert.equal(badCode.status, 401);
    const done = await browser.post(`${downUrl}/api/upstream/link/second-factor`, { code: phoneCode(key, clock.now()) });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.status, 'authenticated');
    assert.equal((await links(account.id)).length, 1);
    assert.equal((await browser.post(`${downUrl}/api/upstream/link`, { password: STRONG_PASSWORD })).body.error, 'no_pending_link', 'the ticket is spent');

    // Linked now: the next upstream sign-in asks for Gatehouse's second step (the provider is not trusted for MFA).
    const next = new TwoSiteBrowser();
    assert.equal(await signInUpstream(next, plain, { email }), '/sign-in?upstream_step=second_factor');
    assert.equal((await next.get(`${downUrl}/api/session`)).status, 401, 'a pending sign-in only');
    const second = await next.post(`${downUrl}/api/session/second-factor`, { code: phoneCode(key, clock.now() + 30_000) });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal((await next.get(`${downUrl}/api/session`)).body.user.id, account.id);
    assert.deepEqual(await amrOf(account.id), ['fed', 'otp', 'mfa'], 'no password was typed here: fed, not pwd');
    const mailed = await down.s.db
      .selectFrom('mail_outbox')
      .select(['kind', 'recipient'])
      .where('kind', '=', 'upstream_linked')
      .where('recipient', '=', email)
      .execute();
    assert.equal(mailed.length, 1, 'the owner is told of the link');
  });

  it('the link step finishes only the pending sign-in its password made, not another of the same account', async () => {
    const email = uniqueEmail('bound');
    await seedUser(up.s, email);
    const account = await seedUser(down.s, email);
    const key = await withTwoFactor(down, email);
    const browser = new TwoSiteBrowser();
    assert.equal(await signInUpstream(browser, plain, { email }), '/sign-in?upstream_link=1');
    assert.equal((await browser.post(`${downUrl}/api/upstream/link`, { password: STRONG_PASSWORD })).body.status, 'second_factor_required');
    // Another pending sign-in of the account (the password typed elsewhere), with this browser's ticket.
    const other = down.client();
    assert.equal((await other.signIn(email)).body.status, 'second_factor_required');
    const otherSession = other.cookie;
    assert.ok(otherSession);
    const mixed = await fetch(`${downUrl}/api/upstream/link/second-factor`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: `gatehouse_session=${otherSession}; gatehouse_upstream_link=${browser.cookie(downUrl, 'gatehouse_upstream_link')}`,
      },
      body: JSON.stringify({ code: phoneCode(key, clock.now()) }),
    });
    assert.deepEqual([mixed.status, ((await mixed.json()) as { error: string }).error], [401, 'no_pending_link']);
    assert.equal((await links(account.id)).length, 0);
    // The same code still works here: the refused request never reached the code check.
    const own = await browser.post(`${downUrl}/api/upstream/link/second-factor`, { code: phoneCode(key, clock.now()) });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal((await links(account.id)).length, 1);
  });

  it('an account whose only second factor is a security key links with it: a wrong assertion, or another pending sign-in, links nothing', async () => {
    const email = uniqueEmail('key-only');
    await seedUser(up.s, email);
    const account = await seedUser(down.s, email);
    const key = new SoftwareKey(downUrl);
    const owner = down.client();
    await owner.signIn(email);
    await owner.stepUp();
    const registration = (await owner.post('/api/me/webauthn/register/options')).body;
    assert.equal((await owner.post('/api/me/webauthn/register', { name: 'Key', response: key.register(registration) })).status, 201);

    const browser = new TwoSiteBrowser();
    assert.equal(await signInUpstream(browser, plain, { email }), '/sign-in?upstream_link=1');
    assert.equal((await browser.post(`${downUrl}/api/upstream/link`, { password: STRONG_PASSWORD })).body.status, 'second_factor_required');
    // Which step the page shows, as after the sign-in's own password.
    assert.deepEqual((await browser.get(`${downUrl}/api/session/second-factor/methods`)).body, { methods: ['webauthn'] });
    const options = async () => (await browser.post(`${downUrl}/api/upstream/link/security-key/options`)).body;
    const first = await options();
    assert.deepEqual(
      first.allowCredentials.map((c: { id: string }) => c.id),
      [key.credentialId.toString('base64url')],
    );

    const forged = key.assert(first);
    forged.response.signature = key.assert(first).response.signature;
    const wrong = await browser.post(`${downUrl}/api/upstream/link/security-key`, { response: forged });
    assert.deepEqual([wrong.status, wrong.body.error], [401, 'invalid_security_key']);
    assert.equal((await links(account.id)).length, 0);

    // Another pending sign-in of the account (the password typed elsewhere), with this browser's ticket.
    const other = down.client();
    assert.equal((await other.signIn(email)).body.status, 'second_factor_required');
    const assertion = key.assert(await options());
    const mixed = await fetch(`${downUrl}/api/upstream/link/security-key`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: `gatehouse_session=${other.cookie}; gatehouse_upstream_link=${browser.cookie(downUrl, 'gatehouse_upstream_link')}`,
      },
      body: JSON.stringify({ response: assertion }),
    });
    assert.deepEqual([mixed.status, ((await mixed.json()) as { error: string }).error], [401, 'no_pending_link']);
    assert.equal((await links(account.id)).length, 0);

    // The same assertion here: the refused request never reached the key check (its challenge is unspent).
    const done = await browser.post(`${downUrl}/api/upstream/link/security-key`, { response: assertion });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual([done.body.status, done.body.user.email], ['authenticated', email]);
    assert.equal((await links(account.id)).length, 1);
    assert.deepEqual(await amrOf(account.id), ['pwd', 'hwk', 'user', 'mfa'], 'the password was typed here, then the key');
    assert.equal((await browser.get(`${downUrl}/api/session`)).body.user.id, account.id);
    assert.equal((await browser.post(`${downUrl}/api/upstream/link`, { password: STRONG_PASSWORD })).body.error, 'no_pending_link', 'the ticket is spent');
  });

  it("ending the account's access (a reset, a block, sign out everywhere) ends its links; an account the provider made keeps its only way in", async () => {
    const email = uniqueEmail('recovered');
    await seedUser(up.s, email);
    const account = await seedUser(down.s, email);
    const browser = new TwoSiteBrowser();
    assert.equal(await signInUpstream(browser, plain, { email }), '/sign-in?upstream_link=1');
    const linked = await browser.post(`${downUrl}/api/upstream/link`, { password: STRONG_PASSWORD });
    assert.equal(linked.body.status, 'authenticated', JSON.stringify(linked.body));
    assert.equal((await links(account.id)).length, 1);
    await down.s.sessions.endAllFor(account.id);
    assert.equal((await links(account.id)).length, 0, 'a thief’s link must not outlive the owner’s recovery');
    assert.equal(await signInUpstream(new TwoSiteBrowser(), plain, { email }), '/sign-in?upstream_link=1', 'linking again needs the password again');

    await suite.resetSettings({ registration: 'open' });
    const newcomer = uniqueEmail('made-upstream');
    await seedUser(up.s, newcomer);
    assert.equal(await signInUpstream(new TwoSiteBrowser(), plain, { email: newcomer }), '/');
    const made = (await down.s.users.findByEmail(newcomer))!;
    await down.s.sessions.endAllFor(made.id);
    assert.equal((await links(made.id)).length, 1, 'its only way in stays');
    const events = await down.s.db
      .selectFrom('audit_events')
      .select('details')
      .where('kind', '=', 'sign_in.succeeded')
      .where('subject_id', '=', made.id)
      .execute();
    assert.ok(
      events.some((e) => String(e.details).includes('upstream')),
      'recorded as a sign-in, with its warning checked',
    );
  });

  it('asks a provider trusted for MFA for a recent sign-in (max_age), and only there', async () => {
    const start = async (id: string) => new URL((await new TwoSiteBrowser().get(`${downUrl}/api/upstream/${id}/start`)).location!);
    assert.equal((await start(trusted)).searchParams.get('max_age'), '600');
    assert.equal((await start(plain)).searchParams.get('max_age'), null);
  });

  it('under https the flow cookie is __Host- prefixed (Secure, Path=/): a sibling host cannot toss its own in', async () => {
    const secure = await suite.startApp({ env: { GATEHOUSE_PUBLIC_URL: 'https://login.example.com' } });
    const id = (await upstreamServices(secure.s).providers.add({ name: 'SSO', issuer: upUrl, clientId: client.id, clientSecret: client.secret }, 'cli', null))
      .id;
    const answer = await secure.app.inject({ method: 'GET', url: `/api/upstream/${id}/start` });
    assert.equal(answer.statusCode, 302);
    const flow = answer.cookies.find((c) => c.name === '__Host-gatehouse_upstream_flow');
    assert.ok(flow, JSON.stringify(answer.cookies));
    assert.deepEqual([flow.path, flow.secure, flow.httpOnly, flow.domain], ['/', true, true, undefined]);
  });

  it('a provider trusted for MFA skips the second step only when the upstream amr says mfa', async () => {
    const strong = uniqueEmail('strong');
    const weak = uniqueEmail('weak');
    await seedUser(up.s, strong);
    await seedUser(up.s, weak);
    const upKey = await withTwoFactor(up, strong);
    for (const email of [strong, weak]) {
      const account = await seedUser(down.s, email);
      await withTwoFactor(down, email);
      const upUser = (await up.s.users.findByEmail(email))!;
      await down.s.db
        .insertInto('upstream_links')
        .values({ provider_id: trusted, subject: upUser.id, user_id: account.id, email, created_at: clock.now() })
        .execute();
      // The enrolment's session goes: the one left is the upstream sign-in's.
      await down.s.db.deleteFrom('sessions').where('user_id', '=', account.id).execute();
    }
    const browser = new TwoSiteBrowser();
    assert.equal(await signInUpstream(browser, trusted, { email: strong, code: () => phoneCode(upKey, clock.now()) }), '/');
    const account = (await down.s.users.findByEmail(strong))!;
    assert.deepEqual(await amrOf(account.id), ['fed', 'mfa']);
    assert.equal((await browser.get(`${downUrl}/api/session`)).body.user.id, account.id);
    // A password alone upstream (amr pwd): Gatehouse's own second step, trusted or not.
    assert.equal(await signInUpstream(new TwoSiteBrowser(), trusted, { email: weak }), '/sign-in?upstream_step=second_factor');
  });

  it('maps the provider’s groups claim to local groups at every sign-in there, and leaves other groups alone', async () => {
    await suite.resetSettings({ registration: 'open' });
    const email = uniqueEmail('grouped');
    const upUser = await seedUser(up.s, email);
    const upStaff = await up.s.groups.create(`staff-${randomBytes(4).toString('hex')}`, 'cli', null);
    await up.s.groups.addMember(upStaff.id, upUser.id, 'cli', null);
    const staff = await down.s.groups.create(`down-staff-${randomBytes(4).toString('hex')}`, 'cli', null);
    const other = await down.s.groups.create(`down-other-${randomBytes(4).toString('hex')}`, 'cli', null);
    const { providers } = upstreamServices(down.s);
    await assert.rejects(
      providers.add(
        { name: 'Bad map', issuer: upUrl, clientId: client.id, clientSecret: client.secret, groupsClaim: 'groups', groupMap: { x: 'no-such-group' } },
        'cli',
        null,
      ),
      /No local group/,
    );
    const mapped = (
      await providers.add(
        {
          name: 'Mapped SSO',
          issuer: upUrl,
          clientId: client.id,
          clientSecret: client.secret,
          groupsClaim: 'groups',
          groupMap: { [upStaff.name]: staff.name },
        },
        'cli',
        null,
      )
    ).id;
    assert.equal(await signInUpstream(new TwoSiteBrowser(), mapped, { email }), '/');
    const account = (await down.s.users.findByEmail(email))!;
    await down.s.groups.addMember(other.id, account.id, 'cli', null);
    assert.deepEqual((await down.s.groups.namesOf(account.id)).sort(), [other.name, staff.name].sort());
    await up.s.groups.removeMember(upStaff.id, upUser.id, 'cli', null);
    assert.equal(await signInUpstream(new TwoSiteBrowser(), mapped, { email }), '/');
    assert.deepEqual(await down.s.groups.namesOf(account.id), [other.name], 'out of the mapped group; the unmapped one untouched');
  });

  it('refuses a tampered state, a tampered nonce, a replayed callback, a denial and an expired flow: nothing is created', async () => {
    await suite.resetSettings({ registration: 'open' });
    const email = uniqueEmail('target');
    await seedUser(up.s, email);
    const refusals = () => down.s.db.selectFrom('audit_events').select('details').where('kind', '=', 'upstream.refused').execute();
    const before = (await refusals()).length;

    const tampered = new URL(await atProvider(new TwoSiteBrowser(), plain, { email }));
    tampered.searchParams.set('state', 'x'.repeat(43));
    const b1 = new TwoSiteBrowser();
    assert.equal(path(await b1.get(tampered.href)), '/sign-in?upstream_error=invalid_state');
    const noState = new URL(tampered);
    noState.searchParams.delete('state');
    assert.equal(path(await b1.get(noState.href)), '/sign-in?upstream_error=invalid_state');

    // The right state from another browser (login CSRF: a callback this browser never started).
    const elsewhere = await atProvider(new TwoSiteBrowser(), plain, { email });
    assert.equal(path(await new TwoSiteBrowser().get(elsewhere)), '/sign-in?upstream_error=invalid_state');

    const b2 = new TwoSiteBrowser();
    const callback = await atProvider(b2, plain, { email });
    await down.s.db.updateTable('upstream_flows').set({ nonce: 'tampered-nonce' }).where('used_at', 'is', null).execute();
    assert.equal(path(await b2.get(callback)), '/sign-in?upstream_error=invalid_token');
    assert.equal(path(await b2.get(callback)), '/sign-in?upstream_error=replayed');

    const b3 = new TwoSiteBrowser();
    const late = await atProvider(b3, plain, { email });
    // Its 10 minutes run out: the expiry moved into the past, as if the person had waited.
    await down.s.db
      .updateTable('upstream_flows')
      .set({ expires_at: realClock() - 1000 })
      .where('used_at', 'is', null)
      .execute();
    assert.equal(path(await b3.get(late)), '/sign-in?upstream_error=expired');

    const b4 = new TwoSiteBrowser();
    const start = await b4.get(`${downUrl}/api/upstream/${plain}/start`);
    const state = new URL(start.location!).searchParams.get('state')!;
    assert.equal(
      path(await b4.get(`${downUrl}/api/upstream/callback?error=access_denied&state=${state}&iss=${encodeURIComponent(upUrl)}`)),
      '/sign-in?upstream_error=access_denied',
    );

    assert.equal(await down.s.users.findByEmail(email), undefined, 'no account from any of them');
    const reasons = (await refusals()).slice(before).map((r) => JSON.parse(r.details as string).reason);
    for (const reason of ['invalid_state', 'invalid_token', 'replayed', 'expired', 'access_denied'])
      assert.ok(reasons.includes(reason), `${reason} audited: ${reasons}`);
    // A return address off this site, or one that could not be stored or sent back in Location: 400, no flow.
    const flows = (await down.s.db.selectFrom('upstream_flows').select('state_hash').execute()).length;
    for (const returnTo of ['//evil.example', '/\\evil.example', '/\u0000', '/\u0001x', '/\u4f60', '/a b'])
      assert.equal(
        (await new TwoSiteBrowser().get(`${downUrl}/api/upstream/${plain}/start?returnTo=${encodeURIComponent(returnTo)}`)).status,
        400,
        JSON.stringify(returnTo),
      );
    assert.equal((await down.s.db.selectFrom('upstream_flows').select('state_hash').execute()).length, flows, 'no flow written');
    // A successful callback, replayed, is refused too.
    const b5 = new TwoSiteBrowser();
    const good = await atProvider(b5, plain, { email });
    assert.equal(path(await b5.get(good)), '/');
    assert.equal(path(await b5.get(good)), '/sign-in?upstream_error=replayed');
  });

  it('refuses a code issued to another client at the provider (the token exchange and ID token are for another audience)', async () => {
    await suite.resetSettings({ registration: 'open' });
    const email = uniqueEmail('audience');
    await seedUser(up.s, email);
    const other = await up.s.clients.create({ name: 'Other', redirectUris: [`${downUrl}/api/upstream/callback`], trusted: true }, null, null);
    const browser = new TwoSiteBrowser();
    const start = new URL((await browser.get(`${downUrl}/api/upstream/${plain}/start`)).location!);
    start.searchParams.set('client_id', other.client_id);
    const run = await driveInteraction(browser as unknown as CookieBrowser, start.href, { email }, { base: () => upUrl, isCallback, rounds: 6 });
    assert.ok(run.callback);
    assert.equal(path(await browser.get(run.callback)), '/sign-in?upstream_error=invalid_token');
    assert.equal(await down.s.users.findByEmail(email), undefined);
  });

  it('administrators add (with discovery and a step-up), change and remove providers; the sign-in page lists enabled ones', async () => {
    const admin = uniqueEmail('admin');
    await seedUser(down.s, admin, 'admin');
    const c = down.client();
    await c.signIn(admin);
    const body = { name: 'Lab', issuer: upUrl, clientId: client.id, clientSecret: client.secret };
    assert.equal((await c.post('/api/admin/upstream', body)).body.error, 'reauthentication_required');
    await c.stepUp();
    assert.equal((await c.post('/api/admin/upstream', { ...body, extra: 1 })).status, 400);
    assert.equal((await c.post('/api/admin/upstream', { ...body, issuer: 'http://127.0.0.1:9' })).body.error, 'upstream_discovery_failed');
    assert.equal((await c.post('/api/admin/upstream', { ...body, issuer: 'http://example.com' })).body.error, 'invalid_request', 'http only on loopback');
    const added = await c.post('/api/admin/upstream', body);
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const listed = await c.get('/api/admin/upstream');
    assert.ok(!JSON.stringify(listed.body).includes(client.secret), 'never the secret');
    assert.ok(listed.body.providers.some((p: { id: string }) => p.id === added.body.id));
    const sealed = await down.s.db.selectFrom('upstream_providers').select('client_secret').where('id', '=', added.body.id).executeTakeFirstOrThrow();
    assert.ok(!sealed.client_secret.includes(client.secret), 'sealed at rest');

    const changed = await c.patch(`/api/admin/upstream/${added.body.id}`, { enabled: false, name: 'Lab 2' });
    assert.deepEqual([changed.body.enabled, changed.body.name], [false, 'Lab 2']);
    assert.equal((await c.patch(`/api/admin/upstream/${added.body.id}`, {})).status, 400);
    const buttons = (await c.get('/api/upstream/providers')).body as Array<{ id: string }>;
    assert.ok(!buttons.some((p) => p.id === added.body.id), 'disabled: no button');
    assert.equal(path(await new TwoSiteBrowser().get(`${downUrl}/api/upstream/${added.body.id}/start`)), '/sign-in?upstream_error=provider_unavailable');
    assert.equal((await c.delete(`/api/admin/upstream/${added.body.id}`)).status, 204);
    assert.equal((await c.delete(`/api/admin/upstream/${added.body.id}`)).status, 404);
  });

  it('owners see and remove their links; the last way in of an account without a password is kept', async () => {
    await suite.resetSettings({ registration: 'open' });
    const email = uniqueEmail('linked');
    await seedUser(up.s, email);
    const browser = new TwoSiteBrowser();
    assert.equal(await signInUpstream(browser, plain, { email }), '/');
    const mine = await browser.get(`${downUrl}/api/me/upstream`);
    assert.deepEqual(
      mine.body.links.map((l: { providerName: string; email: string }) => [l.providerName, l.email]),
      [['Company SSO', email]],
    );
    const user = (await down.s.users.findByEmail(email))!;
    // No password, so no step-up either: the HTTP route cannot be reached; the rule is the service's.
    assert.equal((await browser.delete(`${downUrl}/api/me/upstream/${plain}`)).status, 403);
    await assert.rejects(upstreamServices(down.s).providers.unlink(user, plain, null), { code: 'last_way_to_sign_in' });

    const owner = uniqueEmail('with-password');
    const account = await seedUser(down.s, owner);
    await down.s.db
      .insertInto('upstream_links')
      .values({ provider_id: plain, subject: 'someone', user_id: account.id, email: owner, created_at: clock.now() })
      .execute();
    const c = down.client();
    await c.signIn(owner);
    await c.stepUp();
    assert.equal((await c.delete(`/api/me/upstream/${plain}`)).status, 204);
    assert.equal((await links(account.id)).length, 0);
  });

  it('an administrator links an account by hand (step-up; the owner is mailed); a subject linked elsewhere is refused', async () => {
    const admin = uniqueEmail('linking-admin');
    await seedUser(down.s, admin, 'admin');
    const owner = uniqueEmail('hand-linked');
    const account = await seedUser(down.s, owner);
    const c = down.client();
    await c.signIn(admin);
    const body = { providerId: plain, subject: `hand-${owner}` };
    assert.equal((await c.post(`/api/admin/users/${account.id}/upstream`, body)).body.error, 'reauthentication_required');
    await c.stepUp();
    const made = await c.post(`/api/admin/users/${account.id}/upstream`, body);
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual(
      (await c.get(`/api/admin/users/${account.id}/upstream`)).body.links.map((l: { providerId: string }) => l.providerId),
      [plain],
    );
    const other = await seedUser(down.s, uniqueEmail('other'));
    assert.deepEqual(
      [(await c.post(`/api/admin/users/${other.id}/upstream`, body)).status, (await c.post(`/api/admin/users/${other.id}/upstream`, body)).body.error],
      [409, 'upstream_subject_linked'],
    );
    assert.equal((await c.post(`/api/admin/users/${account.id}/upstream`, { providerId: 'nope', subject: 'x' })).status, 404);
    const mailed = await down.s.db.selectFrom('mail_outbox').select('kind').where('kind', '=', 'upstream_linked').where('recipient', '=', owner).execute();
    assert.equal(mailed.length, 1);
    const plainUser = down.client();
    await plainUser.signIn(owner);
    assert.equal(
      (await plainUser.post(`/api/admin/users/${other.id}/upstream`, { providerId: plain, subject: 'mine' })).status,
      403,
      'nobody links someone else’s account but an administrator',
    );
  });

  it('gatehouse upstream add, list and remove', async () => {
    Object.assign(process.env, { GATEHOUSE_DATABASE_URL: suite.database.url, GATEHOUSE_ENCRYPTION_KEY: suite.masterKey.toString('base64') });
    const output: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const stdin = Object.getOwnPropertyDescriptor(process, 'stdin')!;
    const run = async (args: string[], input?: string) => {
      if (input !== undefined) Object.defineProperty(process, 'stdin', { value: Readable.from([Buffer.from(input)]), configurable: true });
      // The command's lines are strings; the test runner's own reports (buffers) still go out.
      process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) =>
        typeof chunk === 'string' ? output.push(chunk) > 0 : write(chunk, ...rest)) as typeof process.stdout.write;
      try {
        await runCli(args);
      } finally {
        process.stdout.write = write;
        Object.defineProperty(process, 'stdin', stdin);
      }
    };
    const refusal = (args: string[]) => run(args).then(() => assert.fail(`${args.join(' ')} was not refused`), describeCliError);
    assert.match(await refusal(['upstream', 'add', '--client-id', 'x', '--client-secret-stdin']), /--issuer URL is required/);
    assert.match(await refusal(['upstream', 'add', '--issuer', upUrl, '--client-id', 'x']), /--client-secret-stdin is required/);
    assert.match(await refusal(['upstream', 'add', '--issuer', 'not a url', '--client-id', 'x', '--client-secret-stdin']), /--issuer is not a URL/);
    assert.match(await refusal(['upstream', 'add', '--preset', 'myspace', '--client-id', 'x', '--client-secret-stdin']), /--preset is one of/);
    assert.match(await refusal(['upstream', 'add', '--preset', 'entra', '--client-id', 'x', '--client-secret-stdin']), /--tenant is required/);
    await assert.rejects(
      run(['upstream', 'add', '--issuer', upUrl, '--client-id', client.id, '--client-secret-stdin', '--name', 'bad\u0007name'], 'secret\n'),
      /1 to 64 characters/,
    );
    await run(
      ['upstream', 'add', '--issuer', upUrl, '--client-id', client.id, '--client-secret-stdin', '--name', 'From CLI', '--trusted-mfa'],
      `${client.secret}\n`,
    );
    const added = JSON.parse(output.pop()!);
    assert.deepEqual([added.name, added.trustedMfa, added.clientId], ['From CLI', true, client.id]);
    await run(['upstream', 'list']);
    const listed = output.pop()!;
    assert.ok(listed.includes(added.id) && !listed.includes(client.secret));
    const linked = await seedUser(down.s, uniqueEmail('cli-linked'));
    await run(['upstream', 'link', '--email', linked.email, '--id', added.id, '--subject', 'cli-sub']);
    assert.match(output.pop()!, /Linked .* to From CLI/);
    assert.equal((await links(linked.id)).length, 1);
    assert.match(await refusal(['upstream', 'link', '--email', linked.email, '--id', added.id]), /--subject/);
    await run(['upstream', 'remove', '--id', added.id]);
    assert.match(output.pop()!, /Removed provider/);
    assert.equal(await upstreamServices(down.s).providers.find(added.id), undefined);
  });
});
