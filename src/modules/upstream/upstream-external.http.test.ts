// Sign in with providers that are not Gatehouse, end to end on both databases:
// - GitHub (OAuth 2.0 and its user API, no OpenID Connect), against a fake of GitHub's OAuth app
//   flow and API (src/test-support/fake-github.ts, written from GitHub's documentation): GitHub
//   itself cannot be reached from here;
// - the bare oidc-provider library (src/test-support/bare-oidc-provider.ts) for what Gatehouse as a
//   provider never says: an unverified email, an address or a name Gatehouse cannot use as given.
// Gatehouse runs on the real clock, as upstream.http.test.ts says why (oidc-provider stamps ID
// tokens with the real date).
import { after, before, beforeEach, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { freePort, realClock } from '../../test-support/processes.js';
import { seedUser, STRONG_PASSWORD, uniqueEmail, type TestApp } from '../../test-support/harness.js';
import { CookieBrowser } from '../../test-support/cookie-browser.js';
import { type FakeGitHub, startFakeGitHub } from '../../test-support/fake-github.js';
import { type BareOidcProvider, startBareOidcProvider } from '../../test-support/bare-oidc-provider.js';
import { upstreamServices } from './index.js';

describeOnEachDialect('sign in with GitHub and with a bare OpenID Connect provider', { clock: realClock }, (suite) => {
  let down: TestApp;
  let downUrl = '';
  let github: FakeGitHub;
  let bare: BareOidcProvider;
  let githubId = '';
  let bareId = '';
  let nextGitHubUser = 1000;

  const isCallback = (url: string) => url.startsWith(`${downUrl}/api/upstream/callback`);
  const pathOf = (href: string | null) => (href ? `${new URL(href).pathname}${new URL(href).search}` : null);
  const accountOf = (email: string) => down.s.users.findByEmail(email);
  const linksOf = (userId: string) => down.s.db.selectFrom('upstream_links').selectAll().where('user_id', '=', userId).execute();

  /** A GitHub account the fake knows, with its primary address verified or not. */
  function gitHubUser(email: string, verified: boolean, name: string | null = 'Octo Cat') {
    const user = { id: nextGitHubUser++, login: `octo${nextGitHubUser}`, name, emails: [{ email, primary: true, verified }] };
    github.users.set(user.login, user);
    return user;
  }

  /** The browser goes to GitHub (signed in there as `login`) and back: where the downstream sends it. */
  async function viaGitHub(browser: CookieBrowser, login: string, approve = true): Promise<string | null> {
    github.signIn(login, approve);
    const back = await browser.follow(`${downUrl}/api/upstream/${githubId}/start`, isCallback);
    assert.ok(back.location && isCallback(back.location), `back at the callback: ${back.status} ${JSON.stringify(back.body)}`);
    return pathOf((await browser.get(back.location)).location);
  }

  /** The same through the bare provider, as `account`: answers the callback address (not yet visited). */
  async function bareCallback(browser: CookieBrowser, account: BareOidcProvider['account']): Promise<string> {
    bare.account = account;
    const start = await browser.get(`${downUrl}/api/upstream/${bareId}/start`);
    assert.equal(start.status, 302);
    return bare.authorize(start.location!);
  }

  before(async () => {
    const port = await freePort();
    downUrl = `http://127.0.0.1:${port}`;
    down = await suite.startApp({ env: { GATEHOUSE_PUBLIC_URL: downUrl } });
    await down.app.listen({ host: '127.0.0.1', port });
    const callbackUrl = `${downUrl}/api/upstream/callback`;
    github = await startFakeGitHub({ clientId: 'Iv1.gatehouse', clientSecret: 'github-client-secret', callbackUrl, users: [] });
    bare = await startBareOidcProvider({ redirectUris: [callbackUrl], account: { sub: 'nobody', email: 'nobody@example.com', email_verified: false } });
    const { providers } = upstreamServices(down.s);
    const added = await providers.add(
      { preset: 'github', name: 'GitHub', issuer: github.baseUrl, clientId: 'Iv1.gatehouse', clientSecret: 'github-client-secret' },
      'cli',
      null,
    );
    assert.equal(added.kind, 'github');
    githubId = added.id;
    bareId = (await providers.add({ name: 'Bare', issuer: bare.issuer, clientId: bare.client.id, clientSecret: bare.client.secret }, 'cli', null)).id;
  });
  after(async () => {
    await github?.stop();
    await bare?.stop();
  });
  beforeEach(async () => {
    await suite.resetSettings({ registration: 'open' });
  });

  it('GitHub: a verified primary address makes an account (registration open), linked to the numeric id; the next sign-in finds it', async () => {
    const email = uniqueEmail('octo');
    const user = gitHubUser(email, true);
    const browser = new CookieBrowser();
    assert.equal(await viaGitHub(browser, user.login), '/');
    assert.equal((await browser.get(`${downUrl}/api/session`)).body.user.email, email);
    const account = (await accountOf(email))!;
    assert.equal(account.display_name, 'Octo Cat');
    assert.deepEqual(
      (await linksOf(account.id)).map((l) => l.subject),
      [String(user.id)],
    );
    // GitHub's address changes: the link is by id, so the same account signs in.
    user.emails = [{ email: uniqueEmail('octo-moved'), primary: true, verified: true }];
    const again = new CookieBrowser();
    assert.equal(await viaGitHub(again, user.login), '/');
    assert.equal((await again.get(`${downUrl}/api/session`)).body.user.id, account.id);
  });

  it('GitHub: an unverified primary address makes nothing and links nothing; a denial comes back as access_denied', async () => {
    const email = uniqueEmail('unverified');
    const user = gitHubUser(email, false);
    assert.equal(await viaGitHub(new CookieBrowser(), user.login), '/sign-in?upstream_error=unverified_email');
    assert.equal(await accountOf(email), undefined);
    const owner = uniqueEmail('owner');
    const existing = await seedUser(down.s, owner);
    const squatter = gitHubUser(owner, false);
    assert.equal(await viaGitHub(new CookieBrowser(), squatter.login), '/sign-in?upstream_error=unverified_email', 'no link offered either');
    assert.equal((await linksOf(existing.id)).length, 0);
    const other = gitHubUser(uniqueEmail('denier'), true);
    assert.equal(await viaGitHub(new CookieBrowser(), other.login, false), '/sign-in?upstream_error=access_denied');
  });

  it('GitHub: the verified address of an existing account goes to the link step, and the password links it', async () => {
    const email = uniqueEmail('linker');
    const account = await seedUser(down.s, email);
    const user = gitHubUser(email, true);
    const browser = new CookieBrowser();
    assert.equal(await viaGitHub(browser, user.login), '/sign-in?upstream_link=1');
    assert.equal((await browser.get(`${downUrl}/api/upstream/link`)).body.provider.name, 'GitHub');
    const linked = await browser.post(`${downUrl}/api/upstream/link`, { password: STRONG_PASSWORD });
    assert.equal(linked.body.status, 'authenticated', JSON.stringify(linked.body));
    assert.deepEqual(
      (await linksOf(account.id)).map((l) => l.subject),
      [String(user.id)],
    );
  });

  it('GitHub: an API answer of the wrong shape is refused as invalid_token, and nothing is made', async () => {
    const email = uniqueEmail('malformed');
    const user = gitHubUser(email, true);
    github.tamper('/user/emails', { email, verified: true });
    try {
      assert.equal(await viaGitHub(new CookieBrowser(), user.login), '/sign-in?upstream_error=invalid_token');
    } finally {
      github.tamper('/user/emails', undefined);
    }
    assert.equal(await accountOf(email), undefined);
  });

  it('an OpenID Connect provider’s unverified email never creates and never links', async () => {
    const email = uniqueEmail('bare-unverified');
    const browser = new CookieBrowser();
    const callback = await bareCallback(browser, { sub: `u-${email}`, email, email_verified: false });
    assert.equal(pathOf((await browser.get(callback)).location), '/sign-in?upstream_error=unverified_email');
    assert.equal(await accountOf(email), undefined);
    const owner = uniqueEmail('bare-owner');
    const existing = await seedUser(down.s, owner);
    const other = new CookieBrowser();
    const second = await bareCallback(other, { sub: `u-${owner}`, email: owner, email_verified: false });
    assert.equal(pathOf((await other.get(second)).location), '/sign-in?upstream_error=unverified_email');
    assert.equal((await linksOf(existing.id)).length, 0);
    const tickets = await down.s.db.selectFrom('upstream_link_tickets').select('token_hash').where('user_id', '=', existing.id).execute();
    assert.equal(tickets.length, 0, 'no link step offered');
  });

  it('an address Gatehouse cannot use is a refusal (invalid_profile), not an error mid-flow; an odd name is cleaned', async () => {
    const browser = new CookieBrowser();
    // A full-width at sign: two addresses once normalised.
    const callback = await bareCallback(browser, { sub: 'u-fullwidth', email: `me\uFF20evil.example\uFF0Cvictim@example.com`, email_verified: true });
    assert.equal(pathOf((await browser.get(callback)).location), '/sign-in?upstream_error=invalid_profile');
    assert.equal(await down.s.db.selectFrom('upstream_links').select('subject').where('subject', '=', 'u-fullwidth').executeTakeFirst(), undefined);

    const email = uniqueEmail('odd-name');
    const named = new CookieBrowser();
    const back = await bareCallback(named, { sub: `u-${email}`, email, email_verified: true, name: `Ada\u0000\u001b[31m Lovelace${'x'.repeat(300)}` });
    assert.equal(pathOf((await named.get(back)).location), '/');
    const account = (await accountOf(email))!;
    assert.ok(account.display_name?.startsWith('Ada'), String(account.display_name));
    assert.ok(![...account.display_name!].some((ch) => ch.charCodeAt(0) < 0x20), 'no control characters');
    assert.ok(account.display_name!.length <= 100);
  });

  it('an address that NFKC folds into another, or with a control character, is refused; so is a subject with one', async () => {
    for (const [sub, email] of [
      ['u-lookalike', `\uFF41dmin-${Math.floor(Math.random() * 1e9)}@example.com`],
      ['u-control', 'tab\tbed@example.com'],
      ['u-\u0007bell', uniqueEmail('bell')],
    ] as const) {
      const browser = new CookieBrowser();
      const callback = await bareCallback(browser, { sub, email, email_verified: true });
      assert.equal(
        pathOf((await browser.get(callback)).location),
        '/sign-in?upstream_error=invalid_profile',
        `${JSON.stringify(sub)} ${JSON.stringify(email)}`,
      );
      assert.equal(await down.s.db.selectFrom('upstream_links').select('subject').where('subject', '=', sub).executeTakeFirst(), undefined);
    }
  });

  it('a directory account is refused here when no directory can vouch for it now (disabled, gone, or not configured)', async () => {
    const email = uniqueEmail('from-ldap');
    const account = await seedUser(down.s, email);
    await down.s.db
      .updateTable('users')
      .set({ source: 'directory', directory_id: 'entry-uuid-1', password_hash: '!directory' })
      .where('id', '=', account.id)
      .execute();
    await down.s.db
      .insertInto('upstream_links')
      .values({ provider_id: bareId, subject: `u-${email}`, user_id: account.id, email, created_at: realClock() })
      .execute();
    const browser = new CookieBrowser();
    const callback = await bareCallback(browser, { sub: `u-${email}`, email, email_verified: true });
    assert.equal(pathOf((await browser.get(callback)).location), '/sign-in?upstream_error=blocked');
    assert.equal((await browser.get(`${downUrl}/api/session`)).status, 401);
  });

  it('an administrator’s link to GitHub names the numeric id, never a login', async () => {
    const account = await seedUser(down.s, uniqueEmail('gh-hand'));
    const { providers } = upstreamServices(down.s);
    const notify = async () => {};
    await assert.rejects(providers.linkByAdmin({ userId: account.id, providerId: githubId, subject: 'octocat' }, 'cli', null, notify), /numeric user id/);
    await providers.linkByAdmin({ userId: account.id, providerId: githubId, subject: '583231' }, 'cli', null, notify);
    assert.equal((await linksOf(account.id)).length, 1);
  });

  it('two first sign-ins of one person at once make one account and one link, and both browsers are signed in', async () => {
    const email = uniqueEmail('twice');
    const account = { sub: `u-${email}`, email, email_verified: true };
    const first = new CookieBrowser();
    const second = new CookieBrowser();
    const callbacks = [await bareCallback(first, account), await bareCallback(second, account)];
    const answers = await Promise.all([first.get(callbacks[0]!), second.get(callbacks[1]!)]);
    assert.deepEqual(
      answers.map((a) => pathOf(a.location)),
      ['/', '/'],
    );
    const made = (await accountOf(email))!;
    assert.equal((await linksOf(made.id)).length, 1);
    for (const browser of [first, second]) assert.equal((await browser.get(`${downUrl}/api/session`)).body.user.id, made.id);
  });
});
