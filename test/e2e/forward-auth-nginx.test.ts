// Forward auth behind a real nginx (Debian's, auth_request): an anonymous visit to the guarded
// app lands on Gatehouse's sign-in, signing in with the app code returns to the guarded page
// with the right identity, forged identity headers never reach the app, sign-out ends access.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { skipUnless } from '../../src/test-support/databases.js';
import { chromiumSkip, launchChromium } from '../../src/test-support/browser.js';
import { STRONG_PASSWORD, seedUser, startTestApp } from '../../src/test-support/harness.js';
import { freePort, realClock, startServerProcess, type ServerProcess } from '../../src/test-support/processes.js';
import { phoneCode } from '../../src/test-support/authenticator.js';
import { WEB_DIST } from '../../src/app.js';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));
const skip =
  skipUnless(NGINX !== undefined, 'nginx: not installed (apt-get install nginx)') ??
  chromiumSkip ??
  skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)');

/** The configuration of docs/reverse-proxy.md, on loopback ports, with its own pid and temp paths. */
function nginxConfig(dir: string, ports: { nginx: number; gatehouse: number; app: number }): string {
  return `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream gatehouse { server 127.0.0.1:${ports.gatehouse}; }
  upstream app { server 127.0.0.1:${ports.app}; }
  server {
    listen 127.0.0.1:${ports.nginx};
    location / {
      auth_request /_gatehouse_verify;
      auth_request_set $gh_user  $upstream_http_x_gatehouse_user_id;
      auth_request_set $gh_email $upstream_http_x_gatehouse_email;
      auth_request_set $gh_role  $upstream_http_x_gatehouse_role;
      auth_request_set $gh_2fa   $upstream_http_x_gatehouse_2fa;
      proxy_set_header X-Gatehouse-User-Id $gh_user;
      proxy_set_header X-Gatehouse-Email   $gh_email;
      proxy_set_header X-Gatehouse-Role    $gh_role;
      proxy_set_header X-Gatehouse-2FA     $gh_2fa;
      proxy_set_header Host $host;
      error_page 401 = @gatehouse_sign_in;
      proxy_pass http://app;
    }
    location = /_gatehouse_verify {
      internal;
      proxy_pass http://gatehouse/api/verify;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header Cookie $http_cookie;
    }
    location @gatehouse_sign_in {
      return 302 http://127.0.0.1:${ports.gatehouse}/sign-in?rd=$scheme://$http_host$request_uri;
    }
  }
}`;
}

describe('forward auth behind nginx', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-nginx-'));
  let gatehouse: ServerProcess;
  let nginx: ChildProcess;
  let upstream: http.Server;
  let browser: Browser;
  let page: Page;
  let guarded = '';
  let gatehouseUrl = '';
  let key = '';
  const seenByApp: http.IncomingHttpHeaders[] = [];

  before(async () => {
    const url = `sqlite:${path.join(dir, 'gatehouse.db')}`;
    const masterKey = randomBytes(32);
    const seed = await startTestApp({ url, masterKey, clock: realClock });
    await seedUser(seed.s, 'guard@example.com', 'admin');
    const c = seed.client();
    await c.signIn('guard@example.com');
    key = (await c.post('/api/me/2fa/setup')).body.key;
    assert.equal((await c.post('/api/me/2fa/enable', { code: phoneCode(key, realClock()) })).status, 200);
    await seed.close();

    // The guarded application: echoes the identity it was given.
    upstream = http.createServer((request, response) => {
      seenByApp.push(request.headers);
      response.setHeader('content-type', 'text/html');
      response.end(`<!doctype html><title>Guarded</title><h1>Guarded app</h1><p id="who">${String(request.headers['x-gatehouse-email'] ?? 'nobody')}</p>`);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const appPort = (upstream.address() as { port: number }).port;
    const nginxPort = await freePort();
    guarded = `http://127.0.0.1:${nginxPort}`;

    gatehouse = await startServerProcess({
      GATEHOUSE_DATABASE_URL: url,
      GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64'),
      GATEHOUSE_ALLOWED_REDIRECT_HOSTS: `127.0.0.1:${nginxPort}`,
    });
    gatehouseUrl = gatehouse.baseUrl;
    const gatehousePort = Number(new URL(gatehouseUrl).port);
    for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) fs.mkdirSync(path.join(dir, sub));
    fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxConfig(dir, { nginx: nginxPort, gatehouse: gatehousePort, app: appPort }));
    nginx = spawn(NGINX!, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const up = await fetch(`${guarded}/`, { redirect: 'manual' }).then(() => true, () => false);
      if (up) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(10_000);
  });

  after(async () => {
    await browser?.close();
    nginx?.kill('SIGTERM');
    await gatehouse?.stop();
    await new Promise((resolve) => upstream?.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends an anonymous visitor to the sign-in page with rd, without reaching the app', async () => {
    const response = await fetch(`${guarded}/reports/today`, { redirect: 'manual', headers: { 'x-gatehouse-email': 'forged@evil.example' } });
    assert.equal(response.status, 302);
    assert.equal(response.headers.get('location'), `${gatehouseUrl}/sign-in?rd=${guarded}/reports/today`);
    assert.equal(seenByApp.length, 0, 'the app saw nothing');
  });

  it('allows the guarded host as a return address', async () => {
    const answer = await fetch(`${gatehouseUrl}/api/redirect-target?rd=${encodeURIComponent(`${guarded}/reports/today`)}`).then((r) => r.json());
    assert.deepEqual(answer, { redirect: `${guarded}/reports/today` });
  });

  it('signs in with password and app code, and lands back on the guarded page with the right identity', async () => {
    await page.goto(`${guarded}/reports/today`);
    await page.waitForURL(/\/sign-in\?rd=/);
    await page.getByLabel('Email').fill('guard@example.com');
    await page.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Authentication code').fill(phoneCode(key, realClock() + 30_000));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${guarded}/reports/today`);
    assert.equal(await page.locator('#who').textContent(), 'guard@example.com');
    const last = seenByApp[seenByApp.length - 1]!;
    assert.equal(last['x-gatehouse-role'], 'admin');
    assert.equal(last['x-gatehouse-2fa'], 'true');
    assert.match(String(last['x-gatehouse-user-id']), /^[0-9a-f-]{36}$/);
  });

  it('never passes a forged identity header to the app', async () => {
    const cookies = await page.context().cookies(gatehouseUrl);
    const session = cookies.find((c) => c.name === 'gatehouse_session')!;
    const response = await fetch(`${guarded}/whoami`, { headers: { cookie: `gatehouse_session=${session.value}`, 'x-gatehouse-email': 'forged@evil.example', 'x-gatehouse-role': 'admin' } });
    assert.equal(response.status, 200);
    const last = seenByApp[seenByApp.length - 1]!;
    assert.equal(last['x-gatehouse-email'], 'guard@example.com');
    assert.ok(!JSON.stringify(seenByApp).includes('forged@evil.example'));
  });

  it('ignores an rd that is not allowed', async () => {
    await page.goto(`${gatehouseUrl}/sign-in?rd=https://evil.example/steal`);
    await page.waitForURL(`${gatehouseUrl}/account`);
  });

  it('ends access on sign-out', async () => {
    await page.evaluate(() => fetch('/api/session', { method: 'DELETE' }));
    await page.goto(`${guarded}/reports/today`);
    await page.waitForURL(/\/sign-in\?rd=/);
  });
});
