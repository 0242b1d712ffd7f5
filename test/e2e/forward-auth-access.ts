// Who may go where, through a real proxy (nginx, Caddy) with the configuration of
// docs/reverse-proxy.md, two `gatehouse serve` instances on one PostgreSQL database and Debian's
// Chromium. Two applications on two hosts behind the one guarded server of the page (it answers for
// both names; the guarded app records the Host each request came with):
//   Photos (photos.gatehouse.test): `/` for group:family and user:bob, `/albums/private` for
//     family with two factors;
//   Router (router.gatehouse.test): `/` for family, `/settings` for family with a security key.
// Alice (family, signed in with a code), Bob (named on Photos only), Carol (no group), Dave (family,
// signed in with the password before he turned 2FA on). The proxy points at instance A; the
// administrator changes groups through instance B's HTTP API. One table of cases runs through the
// proxy and through `gatehouse access check`, which must agree.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchChromium } from '../../src/test-support/browser.js';
import { Client, STRONG_PASSWORD, enrolTwoFactor, seedUser, startTestApp } from '../../src/test-support/harness.js';
import { DIALECTS, type TestDatabase } from '../../src/test-support/databases.js';
import { HttpClient, type ServerProcess, clockEnv, freePort, realClock, startServerProcess } from '../../src/test-support/processes.js';
import { phoneCode } from '../../src/test-support/authenticator.js';
import type { AccessCheck } from '../../src/shared/api-types.js';
import { TEST_DOMAIN, gatehouseEnv, type LoopbackPorts } from './reverse-proxy-docs.js';
import { startGuardedApp, type Seen } from './guarded-app.js';
import { type ProxyUnderTest, type RunningProxy, runProxy } from './proxies-under-test.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TSX = import.meta.resolve('tsx');
const CLI = path.join(ROOT, 'src', 'cli', 'run.ts');
const POSTGRES = DIALECTS.find((d) => d.name === 'postgres')!;
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,*/*;q=0.8';

type Person = 'alice' | 'bob' | 'carol' | 'dave';
type Outcome = AccessCheck['outcome'];
type Factors = 'password' | 'two_factors';
const email = (person: Person) => `${person}@example.com`;

interface Case {
  person: Person;
  /** Host name before the test domain, and the path with its query. */
  host: 'photos' | 'router' | 'nas';
  path: string;
  /** How the person's session signed in (the CLI's --factors). */
  factors: Factors;
  outcome: Outcome;
  reason: AccessCheck['reason'];
}

/** Every case of the "Done when", and the edges around them. */
const CASES: readonly Case[] = [
  { person: 'alice', host: 'photos', path: '/library?view=grid', factors: 'two_factors', outcome: 'allow', reason: 'allowed' },
  { person: 'alice', host: 'router', path: '/status', factors: 'two_factors', outcome: 'allow', reason: 'allowed' },
  { person: 'alice', host: 'photos', path: '/albums/private/2024', factors: 'two_factors', outcome: 'allow', reason: 'allowed' },
  { person: 'alice', host: 'router', path: '/settings/wifi', factors: 'two_factors', outcome: 'deny', reason: 'factors_too_weak' },
  { person: 'bob', host: 'photos', path: '/library', factors: 'password', outcome: 'allow', reason: 'allowed' },
  { person: 'bob', host: 'router', path: '/status', factors: 'password', outcome: 'deny', reason: 'not_listed' },
  { person: 'bob', host: 'photos', path: '/albums/private', factors: 'password', outcome: 'deny', reason: 'not_listed' },
  { person: 'carol', host: 'photos', path: '/library', factors: 'password', outcome: 'deny', reason: 'not_listed' },
  { person: 'carol', host: 'router', path: '/status', factors: 'password', outcome: 'deny', reason: 'not_listed' },
  { person: 'dave', host: 'photos', path: '/albums/private?sort=new&q=caf%C3%A9', factors: 'password', outcome: 'step_up', reason: 'factors_too_weak' },
  { person: 'dave', host: 'router', path: '/status', factors: 'password', outcome: 'allow', reason: 'allowed' },
  // No application names this host, and a new install refuses such hosts. The proxy's
  // configuration does not serve it, so this one asks /api/verify as the proxy would.
  { person: 'alice', host: 'nas', path: '/', factors: 'two_factors', outcome: 'deny', reason: 'default_deny' },
];

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(port: number, host: string, requestPath: string, headers: Record<string, string>, method = 'GET', body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, path: requestPath, method, headers: { host, ...(payload ? { 'content-type': 'application/json' } : {}), ...headers } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: text }));
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** The cookies an answer sets, by name (an empty value: cleared). */
function setCookies(answer: Answer): Record<string, string> {
  const jar: Record<string, string> = {};
  for (const line of answer.headers['set-cookie'] ?? []) {
    const match = /^([^=]+)=([^;]*)/.exec(line);
    if (match) jar[match[1]!] = match[2]!;
  }
  return jar;
}

/** `run` over every item, at most `limit` at a time; the results in the items' order. */
async function inParallel<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** Header values the application received under a name, in any case. */
const headerOf = (seen: Seen, name: string) => seen.rawHeaders.flatMap((v, i) => (i % 2 === 0 && v.toLowerCase() === name ? [seen.rawHeaders[i + 1]!] : []));

export function describeForwardAuthAccess(proxy: ProxyUnderTest): void {
  describe(`who may go where behind ${proxy.name}: two hosts, two instances on one PostgreSQL, rules on every request`, {
    skip: proxy.skip ?? POSTGRES.skip,
  }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gatehouse-access-${proxy.name.toLowerCase()}-`));
    const masterKey = randomBytes(32);
    const recorded: Seen[] = [];
    let database: TestDatabase;
    let ports: LoopbackPorts;
    let instanceA: ServerProcess;
    let instanceB: ServerProcess;
    let running: RunningProxy;
    let upstream: http.Server;
    let browser: Browser;
    let login = '';
    const ids: Record<string, string> = {};
    /** Each person's cookies from a sign-in through the proxy (Dave's: two password-only sessions). */
    const jars: Partial<Record<Person | 'dave-browser', Record<string, string>>> = {};
    let daveKey = '';

    const origin = (host: Case['host']) => `http://${host}.${TEST_DOMAIN}:${ports.proxy}`;
    const viaProxy = (host: string, requestPath: string, headers: Record<string, string> = {}, method = 'GET', body?: unknown) =>
      get(ports.proxy, `${host}.${TEST_DOMAIN}:${ports.proxy}`, requestPath, headers, method, body);
    const reached = (host: Case['host'], requestPath: string) =>
      recorded.filter((r) => r.url === requestPath && headerOf(r, 'host')[0] === `${host}.${TEST_DOMAIN}:${ports.proxy}`);

    /** Signs in through the proxy as a script would; with `key`, the second step with the next code. */
    async function signIn(person: Person, key?: string): Promise<Record<string, string>> {
      const first = await viaProxy('login', '/api/session', {}, 'POST', { email: email(person), password: STRONG_PASSWORD });
      assert.equal(first.status, 200, first.body);
      if (!key) return setCookies(first);
      const pending = setCookies(first);
      const second = await viaProxy('login', '/api/session/second-factor', { cookie: `gatehouse_session=${pending.gatehouse_session}` }, 'POST', {
        code: phoneCode(key, Date.now() + 30_000),
      });
      assert.equal(second.status, 200, second.body);
      return setCookies(second);
    }

    /** A browser holding this person's cookies: the session on Gatehouse's host, the verify cookie on the whole domain. */
    async function browserOf(person: Person | 'dave-browser', locale = 'en-US'): Promise<BrowserContext> {
      const jar = jars[person]!;
      const context = await browser.newContext({ locale });
      await context.addCookies([
        { name: 'gatehouse_session', value: jar.gatehouse_session!, url: login },
        { name: 'gatehouse_verify', value: jar.gatehouse_verify!, domain: `.${TEST_DOMAIN}`, path: '/' },
      ]);
      context.setDefaultTimeout(15_000);
      return context;
    }

    /** The proxy's answer for a case, asked as a script and as a browser; both must say the same. */
    async function proxyAnswer(c: Case): Promise<{ outcome: Outcome; reason: string }> {
      const jar = jars[c.person]!;
      const cookie = `gatehouse_verify=${jar.gatehouse_verify}`;
      const address = `${origin(c.host)}${c.path}`;
      const ask =
        c.host === 'nas'
          ? (headers: Record<string, string>) => get(ports.gatehouse, `127.0.0.1:${ports.gatehouse}`, '/api/verify', { ...headers, 'x-original-url': address })
          : (headers: Record<string, string>) => viaProxy(c.host, c.path, headers);
      const label = `${c.person} ${address}`;
      const script = await ask({ cookie });
      const page = await ask({ cookie, accept: BROWSER_ACCEPT, 'accept-language': 'en' });
      if (script.status === 200) {
        assert.equal(page.status, 200, label);
        return { outcome: 'allow', reason: 'allowed' };
      }
      const body = JSON.parse(script.body) as { error: string; reason: string };
      if (script.status === 401) {
        assert.equal(body.error, 'step_up_required', label);
        assert.equal(page.status, 302, label);
        const location = new URL(String(page.headers.location));
        assert.equal(`${location.origin}${location.pathname}`, `${login}/step-up`, label);
        assert.equal(location.searchParams.get('rd'), address, `${label}: back to the exact address`);
        return { outcome: 'step_up', reason: body.reason };
      }
      assert.equal(script.status, 403, `${label}: ${script.status} ${script.body}`);
      assert.equal(body.error, 'access_denied', label);
      assert.equal(page.status, 403, label);
      assert.match(String(page.headers['content-type']), /^text\/html/, label);
      assert.match(page.body, /<h1>Access denied<\/h1>/, label);
      return { outcome: 'deny', reason: body.reason };
    }

    /** `gatehouse access check … --json`, as an operator runs it, against the same database. */
    function cliCheck(c: Pick<Case, 'person' | 'host' | 'path' | 'factors'>): Promise<{ outcome: Outcome; reason: string }> {
      const args = [
        '--import',
        TSX,
        CLI,
        'access',
        'check',
        '--email',
        email(c.person),
        '--url',
        `${origin(c.host)}${c.path}`,
        '--factors',
        c.factors,
        '--json',
      ];
      const env = { PATH: process.env.PATH ?? '', ...clockEnv(), GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') };
      return new Promise((resolve, reject) => {
        execFile(process.execPath, args, { cwd: dir, env, encoding: 'utf8' }, (error, stdout, stderr) => {
          if (error) return reject(new Error(`gatehouse access check (${c.person} ${c.host}${c.path}): ${error.message}\n${stderr}`));
          const check = JSON.parse(stdout) as AccessCheck;
          resolve({ outcome: check.outcome, reason: check.reason });
        });
      });
    }

    before(async () => {
      database = await POSTGRES.create();
      upstream = await startGuardedApp(recorded);
      ports = { proxy: await freePort(), gatehouse: await freePort(), app: (upstream.address() as { port: number }).port };
      login = `http://login.${TEST_DOMAIN}:${ports.proxy}`;

      // The world, written by a third app on the same database (closed before the instances start).
      const seed = await startTestApp({ url: database.url, masterKey, clock: realClock });
      const s = seed.s;
      for (const person of ['admin', 'alice', 'bob', 'carol', 'dave'] as const) {
        ids[person] = (await seedUser(s, `${person}@example.com`, person === 'admin' ? 'admin' : 'user')).id;
      }
      const family = await s.groups.create('family', null, null);
      ids.family = family.id;
      for (const person of ['alice', 'dave']) await s.groups.addMember(family.id, ids[person]!, null, null);
      await s.accessRules.createApplication({ host: `photos.${TEST_DOMAIN}`, name: 'Photos' }, null, null);
      await s.accessRules.createApplication({ host: `router.${TEST_DOMAIN}`, name: 'Router' }, null, null);
      const rules = [
        { host: `photos.${TEST_DOMAIN}`, allow: ['group:family', 'user:bob@example.com'] },
        { host: `photos.${TEST_DOMAIN}`, path: '/albums/private', allow: ['group:family'], factors: 'two_factors' },
        { host: `router.${TEST_DOMAIN}`, allow: ['group:family'] },
        { host: `router.${TEST_DOMAIN}`, path: '/settings', allow: ['group:family'], factors: 'security_key' },
      ];
      for (const rule of rules) await s.accessRules.addRule(rule, null, null);
      const alice = new Client(seed.app);
      await alice.signIn('alice@example.com');
      const aliceKey = (await enrolTwoFactor(alice)).key;

      const env = { GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') };
      // The page's settings, with the two hosts where it names app.example.com (the step-up page
      // returns only to an allowed host, as the sign-in page does).
      const redirectHosts = { GATEHOUSE_ALLOWED_REDIRECT_HOSTS: ['photos', 'router'].map((h) => `${h}.${TEST_DOMAIN}:${ports.proxy}`).join(',') };
      [instanceA, instanceB] = await Promise.all([startServerProcess({ ...env, ...gatehouseEnv(ports), ...redirectHosts }), startServerProcess(env)]);
      running = await runProxy(proxy, dir, ports, (block) => proxy.guardHosts(block, ['photos.example.com', 'router.example.com']));

      jars.alice = await signIn('alice', aliceKey);
      jars.bob = await signIn('bob');
      jars.carol = await signIn('carol');
      // Dave signs in with his password, twice (one for the table, one for the browser's step-up),
      // and only then turns 2FA on in another session: those sessions proved the password alone.
      jars.dave = await signIn('dave');
      jars['dave-browser'] = await signIn('dave');
      const dave = new Client(seed.app);
      await dave.signIn('dave@example.com');
      daveKey = (await enrolTwoFactor(dave)).key;
      await seed.close();

      browser = await launchChromium([`--host-resolver-rules=MAP *.${TEST_DOMAIN} 127.0.0.1`]);
    });

    after(async () => {
      await browser?.close();
      await running?.stop();
      await Promise.all([instanceA?.stop(), instanceB?.stop()]);
      await new Promise((resolve) => upstream?.close(resolve));
      await database?.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('lets Alice (family) into both applications, with her groups in Remote-Groups and X-Gatehouse-Groups', async () => {
      const context = await browserOf('alice');
      const page = await context.newPage();
      for (const host of ['photos', 'router'] as const) {
        const address = `${origin(host)}/home?tab=1`;
        const response = await page.goto(address);
        assert.equal(response?.status(), 200, host);
        assert.equal(page.url(), address);
        assert.equal(await page.locator('#who').textContent(), 'alice@example.com');
        const seen = reached(host, '/home?tab=1').at(-1)!;
        assert.deepEqual(headerOf(seen, 'remote-groups'), ['family'], host);
        assert.deepEqual(headerOf(seen, 'x-gatehouse-groups'), ['family'], host);
      }
      await context.close();
    });

    it('lets Bob into Photos only: Router answers its 403 page, once, with no redirect', async () => {
      const context = await browserOf('bob');
      const page = await context.newPage();
      assert.equal((await page.goto(`${origin('photos')}/library`))?.status(), 200);
      assert.equal(await page.locator('#who').textContent(), 'bob@example.com');

      const documents: string[] = [];
      page.on('request', (request) => {
        if (request.resourceType() === 'document') documents.push(request.url());
      });
      const address = `${origin('router')}/status?from=bob`;
      const response = await page.goto(address);
      await page.waitForLoadState('load');
      assert.equal(response?.status(), 403);
      assert.equal(response?.request().redirectedFrom(), null, 'no redirect');
      assert.equal(page.url(), address);
      assert.equal(await page.locator('h1').textContent(), 'Access denied');
      const text = await page.locator('main').textContent();
      assert.match(text ?? '', /Router does not let you in\./);
      assert.match(text ?? '', /signed in as bob@example\.com/);
      await page.waitForTimeout(300);
      assert.deepEqual(documents, [address], 'one request, no loop');
      assert.equal(reached('router', '/status?from=bob').length, 0, 'the application saw nothing');
      await context.close();
    });

    it('lets Carol (no group) into neither, and says it in Spanish to a Spanish browser', async () => {
      const context = await browserOf('carol', 'es-ES');
      const page = await context.newPage();
      for (const [host, name] of [
        ['photos', 'Photos'],
        ['router', 'Router'],
      ] as const) {
        const response = await page.goto(`${origin(host)}/carol`);
        assert.equal(response?.status(), 403, host);
        assert.equal(await page.locator('h1').textContent(), 'Acceso denegado');
        assert.match((await page.locator('main').textContent()) ?? '', new RegExp(`${name} no te deja entrar`));
        assert.equal(reached(host, '/carol').length, 0);
      }
      await context.close();
    });

    it('sends a password-only session to step up for a two_factors rule, and after the password and a code back to the exact address', async () => {
      const context = await browserOf('dave-browser');
      const page = await context.newPage();
      const address = `${origin('photos')}/albums/private/summer?sort=new&x=1&q=caf%C3%A9`;
      await page.goto(address);
      await page.waitForURL((url) => url.pathname === '/step-up');
      assert.equal(new URL(page.url()).origin, login);
      assert.equal(new URL(page.url()).searchParams.get('rd'), address);
      assert.equal(reached('photos', '/albums/private/summer?sort=new&x=1&q=caf%C3%A9').length, 0, 'not before the step-up');
      await page.getByLabel('Your password').fill(STRONG_PASSWORD);
      await page.getByLabel('Code from the app or a backup code').fill(phoneCode(daveKey, Date.now() + 30_000));
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(address);
      assert.equal(page.url(), address);
      assert.equal(await page.locator('#who').textContent(), 'dave@example.com');
      assert.equal(reached('photos', '/albums/private/summer?sort=new&x=1&q=caf%C3%A9').length, 1);
      await context.close();
    });

    it('refuses a TOTP-only session where the rule asks for a security key: the 403 page, which says so', async () => {
      const context = await browserOf('alice');
      const page = await context.newPage();
      const response = await page.goto(`${origin('router')}/settings/wifi`);
      assert.equal(response?.status(), 403);
      assert.equal(response?.request().redirectedFrom(), null);
      assert.match((await page.locator('main').textContent()) ?? '', /Router does not let you in\..*security key/s);
      assert.equal(reached('router', '/settings/wifi').length, 0);
      await context.close();
    });

    it('never lets a client choose its groups: Remote-Groups and X-Gatehouse-Groups, in any spelling, come from Gatehouse', async () => {
      const forged = {
        'Remote-Groups': 'family',
        Remote_Groups: 'family',
        'remote-GROUPS': 'family',
        'X-Gatehouse-Groups': 'family',
        X_Gatehouse_Groups: 'family',
      };
      const cookie = `gatehouse_verify=${jars.bob!.gatehouse_verify}`;
      assert.equal((await viaProxy('photos', '/forged', { ...forged, cookie })).status, 200);
      assert.equal((await viaProxy('router', '/forged', { ...forged, cookie })).status, 403, 'a forged group opens nothing');
      const seen = reached('photos', '/forged').at(-1)!;
      const groupHeaders = seen.rawHeaders.flatMap((v, i) => (i % 2 === 0 && /groups/i.test(v) ? [[v, seen.rawHeaders[i + 1]]] : []));
      assert.deepEqual(
        groupHeaders.filter(([, value]) => value !== ''),
        [],
        'Bob is in no group: nothing but empty headers',
      );
    });

    it('gives the same answer through the proxy as `gatehouse access check`, for every case', async () => {
      // Each check is a new CLI process (a few seconds of start-up): as many at once as there are cores.
      const cli = inParallel(CASES, os.availableParallelism(), cliCheck);
      cli.catch(() => undefined); // awaited below; a proxy failure first must not leave it unhandled
      const proxied: Array<{ outcome: Outcome; reason: string }> = [];
      for (const c of CASES) proxied.push(await proxyAnswer(c));
      const checked = await cli;
      for (const [i, c] of CASES.entries()) {
        const label = `${c.person} ${c.host}${c.path} (${c.factors})`;
        assert.deepEqual(proxied[i], { outcome: c.outcome, reason: c.reason }, `${label}: the proxy`);
        assert.deepEqual(checked[i], proxied[i], `${label}: gatehouse access check`);
      }
    });

    it('stops Alice at her next request once she leaves family on the other instance, and lets her back the same way', async () => {
      const context = await browserOf('alice');
      const page = await context.newPage();
      assert.equal((await page.goto(`${origin('router')}/before`))?.status(), 200);

      // The administrator, on instance B (which the proxy never talks to).
      const admin = new HttpClient(instanceB.baseUrl);
      assert.equal((await admin.post('/api/session', { email: 'admin@example.com', password: STRONG_PASSWORD })).status, 200);
      assert.equal((await admin.stepUp(STRONG_PASSWORD)).status, 204);
      const removed = await admin.call('DELETE', `/api/admin/groups/${ids.family}/members/${ids.alice}`);
      assert.equal(removed.status, 204, JSON.stringify(removed.body));

      for (const host of ['router', 'photos'] as const) {
        const response = await page.goto(`${origin(host)}/after`);
        assert.equal(response?.status(), 403, `${host}: the very next request, through instance A`);
        assert.equal(reached(host, '/after').length, 0);
      }
      const check = { person: 'alice', host: 'router', path: '/after', factors: 'two_factors' } as const;
      const refused = { outcome: 'deny', reason: 'not_listed' };
      assert.deepEqual(await proxyAnswer({ ...check, ...refused } as Case), refused);
      assert.deepEqual(await cliCheck(check), refused, 'gatehouse access check agrees');

      assert.equal((await admin.post(`/api/admin/groups/${ids.family}/members`, { email: 'alice@example.com' })).status, 201);
      const back = await page.goto(`${origin('router')}/again`);
      assert.equal(back?.status(), 200);
      assert.deepEqual(headerOf(reached('router', '/again').at(-1)!, 'remote-groups'), ['family']);
      await context.close();
    });
  });
}
