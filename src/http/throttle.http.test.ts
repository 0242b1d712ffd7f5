// The per-address throttle on sign-in calls, the proxy setting that decides the address, the
// settings cache across instances, and the first-run message.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { STRONG_PASSWORD, seedUser, startTestApp } from '../test-support/harness.js';
import { TestClock } from '../test-support/clock.js';
import { HttpClient, startServerProcess } from '../test-support/processes.js';

describe('sign-in throttle per client address', () => {
  it('answers 429 rate_limited past GATEHOUSE_SIGNIN_RATE_LIMIT calls a minute from one address', async () => {
    const t = await startTestApp({ url: 'sqlite::memory:', env: { GATEHOUSE_SIGNIN_RATE_LIMIT: '3' } });
    try {
      await seedUser(t.s, 'busy@example.com');
      const c = t.client();
      for (let i = 0; i < 3; i++) assert.equal((await c.signIn('busy@example.com')).status, 200);
      const limited = await c.signIn('busy@example.com');
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error, 'rate_limited');
      assert.ok(Number(limited.headers['retry-after']) > 0);
      // The throttle covers only the sign-in calls: the session itself keeps working.
      assert.equal((await c.get('/api/session')).status, 200);
    } finally {
      await t.close();
    }
  });

  it('limits registration requests per address too, whatever the emails (no mail-bombing from one address)', async () => {
    const t = await startTestApp({ url: 'sqlite::memory:', env: { GATEHOUSE_SIGNIN_RATE_LIMIT: '2' } });
    try {
      await t.s.settings.update({ registration: 'open' });
      const c = t.client();
      for (let i = 0; i < 2; i++) assert.equal((await c.post('/api/registration', { email: `new-${i}@example.com`, locale: 'en' })).status, 202);
      const limited = await c.post('/api/registration', { email: 'new-2@example.com', locale: 'en' });
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error, 'rate_limited');
      assert.equal((await t.s.db.selectFrom('registrations').select('id').execute()).length, 2, 'the limited one wrote nothing');
    } finally {
      await t.close();
    }
  });

  it('takes the address from X-Forwarded-For only when the proxy is trusted', async () => {
    const env = { GATEHOUSE_SIGNIN_RATE_LIMIT: '2', GATEHOUSE_TRUST_PROXY: '127.0.0.1' };
    const trusted = await startTestApp({ url: 'sqlite::memory:', env });
    const untrusted = await startTestApp({ url: 'sqlite::memory:', env: { GATEHOUSE_SIGNIN_RATE_LIMIT: '2' } });
    try {
      // A new unknown email each time, so the per-account lock never enters into it.
      let n = 0;
      const call = (app: typeof trusted.app, forwarded: string) =>
        app.inject({
          method: 'POST',
          url: '/api/session',
          payload: { email: `nobody-${n++}@example.com`, password: STRONG_PASSWORD },
          remoteAddress: '127.0.0.1',
          headers: { 'x-forwarded-for': forwarded },
        });
      for (const address of ['203.0.113.1', '203.0.113.2', '2001:db8::1']) {
        for (let i = 0; i < 2; i++) assert.equal((await call(trusted.app, address)).statusCode, 401, address);
      }
      const limited = await call(trusted.app, '203.0.113.1');
      assert.equal(limited.statusCode, 429);
      assert.equal(limited.json().error, 'rate_limited');
      assert.equal((await call(trusted.app, '2001:db8::ffff')).statusCode, 429, 'the same IPv6 /64');
      assert.equal((await call(trusted.app, '2001:db8:0:1::1')).statusCode, 401, 'another /64');
      // Without a trusted proxy the header is ignored: every call comes from 127.0.0.1.
      assert.equal((await call(untrusted.app, '203.0.113.1')).statusCode, 401);
      assert.equal((await call(untrusted.app, '203.0.113.2')).statusCode, 401);
      assert.equal((await call(untrusted.app, '203.0.113.3')).statusCode, 429);
    } finally {
      await trusted.close();
      await untrusted.close();
    }
  });
});

describe('settings across instances', () => {
  it('reaches another instance within 5 seconds', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-settings-'));
    const url = `sqlite:${path.join(dir, 'g.db')}`;
    const masterKey = randomBytes(32);
    const clock = new TestClock();
    const a = await startTestApp({ url, masterKey, clock: clock.read });
    const b = await startTestApp({ url, masterKey, clock: clock.read });
    try {
      assert.equal((await b.s.settings.get()).passwordAttempts, 5);
      await a.s.settings.update({ passwordAttempts: 9 });
      clock.advance(5000);
      assert.equal((await b.s.settings.get()).passwordAttempts, 9);
    } finally {
      await a.close();
      await b.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('first run', () => {
  it('prints a setup link for the first administrator (and the CLI way), on the console and in the log', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-first-'));
    const env = { GATEHOUSE_DATABASE_URL: `sqlite:${path.join(dir, 'g.db')}` };
    try {
      const first = await startServerProcess(env, dir);
      await first.stop();
      assert.match(first.output(), /Gatehouse has no users yet\. Open this link to create the first administrator/);
      const printed = /^ {2}(http:\/\/\S+\/setup\?token=[A-Za-z0-9_-]{43})$/m.exec(first.output())?.[1];
      assert.ok(printed, first.output());
      assert.ok(first.output().includes(`"setupLink":"${printed}"`), 'the same link in the log');
      assert.match(first.output(), /npx gatehouse user create --email you@example\.com --role admin --password-stdin/);
      assert.match(first.output(), /Created the encryption key file .*gatehouse\.key \(mode 0600\)/);
      // With no mail server, where the mail goes (the embedded default works without one).
      assert.ok(first.output().includes(`No mail server is configured (GATEHOUSE_SMTP_URL)`), first.output());
      assert.ok(first.output().includes(`are written to ${path.join(dir, 'outbox')}/, one .eml file per message.`));
      // The key file lives beside the database; a second start reuses it and says nothing of it.
      assert.ok(fs.existsSync(path.join(dir, 'gatehouse.key')));
      const second = await startServerProcess(env, dir);
      const health = await new HttpClient(second.baseUrl).get('/healthz');
      // The first start's link still works on the second (within its hour): links live in the database.
      const check = await new HttpClient(second.baseUrl).post('/api/setup/check', { token: new URL(printed).searchParams.get('token') });
      await second.stop();
      assert.equal(health.status, 200);
      assert.equal(check.body.state, 'ready', JSON.stringify(check.body));
      assert.doesNotMatch(second.output(), /Created the encryption key file/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
