// The forward-auth story every proxy must pass, run against a real proxy (nginx, Caddy) with the
// configuration of docs/reverse-proxy.md, a real `gatehouse serve` and Debian's Chromium. The
// browser knows the two hosts by name (login.gatehouse.test for Gatehouse, app.gatehouse.test for
// the guarded application, both on the proxy's non-default port), so the cookie split is the real
// one: the session cookie stays on the login host, the verify cookie covers gatehouse.test.
// The guarded application is an echo server that records every request it receives.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../src/test-support/browser.js';
import { Client, STRONG_PASSWORD, seedUser, startTestApp } from '../../src/test-support/harness.js';
import { freePort, startServerProcess, type ServerProcess, realClock } from '../../src/test-support/processes.js';
import { phoneCode } from '../../src/test-support/authenticator.js';
import { TEST_DOMAIN, gatehouseEnv, type LoopbackPorts } from './reverse-proxy-docs.js';
import { cookieHeader, cookieHeaderCount, cookiePairs, gatehouseHeaders, startGuardedApp, type Seen } from './guarded-app.js';
import type { ProxyUnderTest } from './proxies-under-test.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const TARGET_PATH = '/reports/today?x=1&y=2&q=caf%C3%A9';
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,*/*;q=0.8';
const GATEHOUSE_COOKIE = /^(?:__Host-|__Secure-)?gatehouse_(?:session|verify)$/;

function setCookies(answer: Answer): Record<string, string> {
  const jar: Record<string, string> = {};
  for (const line of answer.headers['set-cookie'] ?? []) {
    const match = /^([^=]+)=([^;]*)/.exec(line);
    if (match) jar[match[1]!] = match[2]!;
  }
  return jar;
}

export function describeForwardAuth(proxy: ProxyUnderTest): void {
  describe(`forward auth behind ${proxy.name} (docs/reverse-proxy.md, only hosts and ports changed)`, { skip: proxy.skip }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gatehouse-${proxy.name.toLowerCase()}-`));
    const recorded: Seen[] = [];
    /** What the application received, less the favicon requests Chromium makes on its own. */
    const pages = () => recorded.filter((r) => r.url !== '/favicon.ico');
    let ports: LoopbackPorts;
    let gatehouse: ServerProcess;
    let proxyProcess: ChildProcess;
    let proxyOutput = '';
    let upstream: http.Server;
    let browser: Browser;
    let key = '';
    let login = '';
    let app = '';
    let target = '';

    /** A request to the proxy as the browser would send it to one of the two hosts. */
    function viaProxy(
      host: 'login' | 'app',
      requestPath: string,
      options: { method?: string; headers?: Record<string, string | string[]>; body?: unknown } = {},
    ): Promise<Answer> {
      const body = options.body === undefined ? undefined : JSON.stringify(options.body);
      return new Promise((resolve, reject) => {
        const request = http.request(
          {
            host: '127.0.0.1',
            port: ports.proxy,
            path: requestPath,
            method: options.method ?? 'GET',
            headers: { host: `${host}.${TEST_DOMAIN}:${ports.proxy}`, ...(body ? { 'content-type': 'application/json' } : {}), ...options.headers },
          },
          (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (text += chunk));
            response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: text }));
          },
        );
        request.on('error', reject);
        request.end(body);
      });
    }

    /** Signs in over HTTP through the proxy; the cookies as a script would keep them. */
    async function signInOverHttp(email: string): Promise<Record<string, string>> {
      const answer = await viaProxy('login', '/api/session', { method: 'POST', body: { email, password: STRONG_PASSWORD } });
      assert.equal(answer.status, 200, answer.body);
      return { ...setCookies(answer), status: JSON.parse(answer.body).status };
    }

    async function newPage(): Promise<Page> {
      const page = await (await browser.newContext()).newPage();
      page.setDefaultTimeout(15_000);
      return page;
    }

    /** The whole browser story: the guarded address, sign-in, back to exactly that address. */
    async function signInThroughProxy(page: Page, email: string, code?: () => string): Promise<void> {
      await page.goto(target);
      await page.waitForURL((url) => url.pathname === '/sign-in');
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      if (code) {
        await page.getByLabel('Authentication code').fill(code());
        await page.getByRole('button', { name: 'Verify' }).click();
      }
      await page.waitForURL(target);
    }

    before(async () => {
      upstream = await startGuardedApp(recorded);
      ports = { proxy: await freePort(), gatehouse: await freePort(), app: (upstream.address() as { port: number }).port };
      login = `http://login.${TEST_DOMAIN}:${ports.proxy}`;
      app = `http://app.${TEST_DOMAIN}:${ports.proxy}`;
      target = `${app}${TARGET_PATH}`;

      // The accounts: an administrator with 2FA, a user without (both in the group `staff`), and an
      // administrator without 2FA while 2FA is required of administrators (so his sessions are
      // restricted). The application lets in anyone signed in, as the page's `gatehouse access add`
      // says (a new install refuses hosts no application names); forward-auth-access.ts is about rules.
      const url = `sqlite:${path.join(dir, 'gatehouse.db')}`;
      const masterKey = randomBytes(32);
      const seed = await startTestApp({ url, masterKey, clock: realClock });
      const staff = await seed.s.groups.create('staff', null, null);
      for (const email of ['guard@example.com', 'plain@example.com']) {
        const user = await seedUser(seed.s, email, email.startsWith('guard') ? 'admin' : 'user');
        await seed.s.groups.addMember(staff.id, user.id, null, null);
      }
      await seedUser(seed.s, 'lax-admin@example.com', 'admin');
      await seed.s.accessRules.addRule({ host: `app.${TEST_DOMAIN}`, allow: ['anyone'] }, null, null);
      const c = new Client(seed.app);
      await c.signIn('guard@example.com');
      await c.stepUp();
      key = (await c.post('/api/me/2fa/setup')).body.key;
      assert.equal((await c.post('/api/me/2fa/enable', { code: phoneCode(key, Date.now()) })).status, 200);
      assert.equal((await c.put('/api/admin/settings/authentication', { require2fa: 'admins', require2faGraceDays: 0 })).status, 200);
      await seed.close();

      gatehouse = await startServerProcess({ GATEHOUSE_DATABASE_URL: url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64'), ...gatehouseEnv(ports) });
      proxyProcess = proxy.start(dir, ports);
      proxyProcess.stdout?.on('data', (d: Buffer) => (proxyOutput += d.toString()));
      proxyProcess.stderr?.on('data', (d: Buffer) => (proxyOutput += d.toString()));
      for (let i = 0; ; i++) {
        if (proxyProcess.exitCode !== null) throw new Error(`${proxy.name} exited with ${proxyProcess.exitCode}:\n${proxyOutput}`);
        if (
          await viaProxy('login', '/healthz').then(
            (a) => a.status === 200,
            () => false,
          )
        )
          break;
        if (i > 100) throw new Error(`${proxy.name} did not answer:\n${proxyOutput}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      browser = await launchChromium([`--host-resolver-rules=MAP *.${TEST_DOMAIN} 127.0.0.1`]);
    });

    after(async () => {
      await browser?.close();
      if (proxyProcess && proxyProcess.exitCode === null) {
        const exited = new Promise((resolve) => proxyProcess.once('exit', resolve));
        proxyProcess.kill('SIGTERM');
        await exited;
      }
      await gatehouse?.stop();
      await new Promise((resolve) => upstream?.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('sends an anonymous visit to sign-in, and after the password and the code back to exactly that address', async () => {
      const page = await newPage();
      await page.goto(target);
      await page.waitForURL((url) => url.pathname === '/sign-in');
      const signIn = new URL(page.url());
      assert.equal(signIn.origin, login);
      assert.equal(signIn.searchParams.get('rd'), target, 'rd is the whole address, every parameter and escape');
      assert.equal(pages().length, 0, 'the application saw nothing');

      await page.getByLabel('Email').fill('guard@example.com');
      await page.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByLabel('Authentication code').fill(phoneCode(key, Date.now() + 30_000));
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.waitForURL(target);
      assert.equal(page.url(), target);
      assert.equal(await page.locator('#who').textContent(), 'guard@example.com');
      const last = pages()[pages().length - 1]!;
      assert.equal(`${last.method} ${last.url}`, `GET ${TARGET_PATH}`);
      const identity = Object.fromEntries(gatehouseHeaders(last).map(([name, value]) => [name.toLowerCase(), value]));
      assert.match(identity['x-gatehouse-user-id'] ?? '', /^[0-9a-f-]{36}$/);
      assert.deepEqual(
        { ...identity, 'x-gatehouse-user-id': 'uuid' },
        {
          'x-gatehouse-user-id': 'uuid',
          'x-gatehouse-email': 'guard@example.com',
          'x-gatehouse-role': 'admin',
          'x-gatehouse-2fa': 'true',
          'x-gatehouse-groups': 'staff',
        },
      );
      // Per-route rules: an administrator with 2FA passes both.
      for (const part of ['/admin/panel', '/finance/ledger']) {
        assert.equal((await page.goto(`${app}${part}`))?.status(), 200, part);
      }
      await page.context().close();
    });

    it('never gives the application a cookie that Gatehouse’s API accepts, and keeps its own cookies', async () => {
      const page = await newPage();
      await signInThroughProxy(page, 'plain@example.com');
      await page.goto(`${app}/again`);
      const jar = await page.context().cookies();
      const session = jar.find((c) => c.name === 'gatehouse_session')!;
      const verify = jar.find((c) => c.name === 'gatehouse_verify')!;
      assert.equal(session.domain, `login.${TEST_DOMAIN}`, 'the session cookie is host-only on Gatehouse’s host');
      assert.equal(verify.domain, `.${TEST_DOMAIN}`);
      const last = pages()[pages().length - 1]!;
      assert.equal(last.url, '/again');
      assert.equal(cookieHeader(last), 'app_pref=blue', 'the application’s own cookie arrives, Gatehouse’s do not');

      // Even when a client sends the API's own cookie to the application's host.
      const count = pages().length;
      const replay = await viaProxy('app', '/replay', {
        headers: { cookie: `a=1; gatehouse_session=${session.value}; gatehouse_verify=${verify.value}; b=2` },
      });
      assert.equal(replay.status, 200);
      assert.equal(cookieHeader(pages()[pages().length - 1]!), 'a=1; b=2');
      assert.equal(pages().length, count + 1);

      // Whatever the application ever received works nowhere in Gatehouse.
      for (const request of recorded) {
        for (const [name, value] of cookiePairs(cookieHeader(request))) {
          assert.doesNotMatch(name, GATEHOUSE_COOKIE, `${request.url}: ${name}`);
          for (const as of ['gatehouse_session', 'gatehouse_verify']) {
            const check = await fetch(`${gatehouse.baseUrl}/api/session`, { headers: { cookie: `${as}=${value}` } });
            assert.equal(check.status, 401, `${name} replayed as ${as}`);
          }
        }
      }
      await page.context().close();
    });

    it('never passes identity headers a client sent, in any spelling, to the application', async () => {
      const forged = {
        'X-Gatehouse-Email': 'forged-dash@evil.example',
        X_Gatehouse_Email: 'forged-underscore@evil.example',
        'X-Gatehouse_Role': 'admin',
        'x_gatehouse-user_id': 'forged-mixed',
        'X-GATEHOUSE-2FA': 'forged',
        'Remote-Groups': 'forged-groups',
        Remote_Groups: 'forged-groups-underscore',
      };
      const page = await newPage();
      await signInThroughProxy(page, 'plain@example.com');
      await page.setExtraHTTPHeaders(forged);
      await page.goto(`${app}/whoami`);
      assert.equal(await page.locator('#who').textContent(), 'plain@example.com');
      const cookies = await page.context().cookies(app);
      const verify = cookies.find((c) => c.name === 'gatehouse_verify')!.value;
      await page.context().close();

      // The same from a script, signed in and not.
      assert.equal((await viaProxy('app', '/script', { headers: { ...forged, cookie: `gatehouse_verify=${verify}` } })).status, 200);
      const countBefore = pages().length;
      const anonymous = await viaProxy('app', '/anonymous', { headers: forged });
      assert.equal(anonymous.status, 401);
      assert.equal(pages().length, countBefore, 'an anonymous request never reaches the application');

      for (const request of recorded.filter((r) => r.url === '/whoami' || r.url === '/script')) {
        const headers = gatehouseHeaders(request);
        assert.deepEqual(
          headers.map(([name]) => name.toLowerCase()).sort(),
          ['x-gatehouse-2fa', 'x-gatehouse-email', 'x-gatehouse-groups', 'x-gatehouse-role', 'x-gatehouse-user-id'],
          request.url,
        );
        assert.deepEqual(Object.fromEntries(headers.filter(([name]) => !/user-id/i.test(name)).map(([name, value]) => [name.toLowerCase(), value])), {
          'x-gatehouse-email': 'plain@example.com',
          'x-gatehouse-role': 'user',
          'x-gatehouse-2fa': 'false',
          'x-gatehouse-groups': 'staff',
        });
      }
      assert.ok(!JSON.stringify(recorded).includes('forged'), 'no forged value anywhere the application looked');
      // The script sent Gatehouse's cookie alone: with it removed nothing is left, so no Cookie header at all (issue 29).
      const script = recorded.filter((r) => r.url === '/script');
      assert.equal(script.length, 1);
      assert.equal(cookieHeaderCount(script[0]!), 0, `no (empty) Cookie header: ${JSON.stringify(script[0]!.rawHeaders)}`);
    });

    it('applies the per-route rules: ?role=admin and ?2fa=required refuse a user without them', async () => {
      const { gatehouse_verify: verify } = await signInOverHttp('plain@example.com');
      const cookie = `gatehouse_verify=${verify}`;
      assert.equal((await viaProxy('app', '/reports/x', { headers: { cookie } })).status, 200);
      const countBefore = pages().length;
      assert.equal((await viaProxy('app', '/admin/panel', { headers: { cookie, accept: BROWSER_ACCEPT } })).status, 403);
      assert.equal((await viaProxy('app', '/finance/ledger', { headers: { cookie, accept: BROWSER_ACCEPT } })).status, 403);
      assert.equal(pages().length, countBefore);
    });

    it('refuses a pending sign-in and a restricted session: the browser goes to sign-in, a script gets 401', async () => {
      const pending = await signInOverHttp('guard@example.com');
      assert.equal(pending.status, 'second_factor_required');
      const restricted = await signInOverHttp('lax-admin@example.com');
      assert.equal(restricted.status, 'two_factor_setup_required');
      const countBefore = pages().length;
      for (const jar of [pending, restricted]) {
        const cookie = `gatehouse_verify=${jar.gatehouse_verify}`;
        const browserLike = await viaProxy('app', TARGET_PATH, { headers: { cookie, accept: BROWSER_ACCEPT } });
        assert.equal(browserLike.status, 302);
        assert.equal(new URL(String(browserLike.headers.location)).searchParams.get('rd'), target);
        assert.equal((await viaProxy('app', TARGET_PATH, { headers: { cookie } })).status, 401);
        assert.equal((await viaProxy('app', TARGET_PATH, { headers: { cookie: `gatehouse_session=${jar.gatehouse_session}` } })).status, 401);
      }
      assert.equal(pages().length, countBefore, 'the application saw none of it');
    });

    it('ends access at sign-out, for the browser and for the verify cookie it held', async () => {
      const page = await newPage();
      await signInThroughProxy(page, 'plain@example.com');
      const verify = (await page.context().cookies(app)).find((c) => c.name === 'gatehouse_verify')!.value;
      await page.goto(`${login}/account`);
      assert.equal(await page.evaluate(async () => (await fetch('/api/session', { method: 'DELETE' })).status), 204);
      assert.deepEqual(
        (await page.context().cookies()).filter((c) => GATEHOUSE_COOKIE.test(c.name)),
        [],
        'both cookies cleared',
      );
      await page.goto(target);
      await page.waitForURL((url) => url.pathname === '/sign-in');
      assert.equal((await viaProxy('app', TARGET_PATH, { headers: { cookie: `gatehouse_verify=${verify}` } })).status, 401, 'the old verify cookie is dead');
      await page.context().close();
    });
  });
}
