// Delivery that does not lose mail, against a real SMTP server (smtp-server on loopback): the
// outbox survives a server that is down and then up (on the fake clock, past the backoff), two
// instances with running workers send each message once, and without SMTP each message is an
// .eml file (mode 0600) whose link works. On SQLite and PostgreSQL.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { Client, seedUser, type TestApp } from '../../test-support/harness.js';
import { freePort, matching, startSmtp, tokenOf } from '../../test-support/smtp.js';
import { claimDueMessages } from './mail.repository.js';
import { LEASE_MS } from './mail-worker.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function metric(t: TestApp, status: string): Promise<number> {
  const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`gatehouse_mail_outbox_messages{status="${status}"}`));
  return Number(line?.split(' ')[1] ?? NaN);
}

/** Polls `check` every 20 ms for about `timeoutMs` (counted in polls: no reading of the real date). */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  for (let waited = 0; !(await check()); waited += 20) {
    if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// Each test its own database (and users): the outbox metrics count every message in it.
describeOnEachDialect('mail delivery', (suite) => {
  const { clock } = suite;

  it('keeps mail while the SMTP server is down and sends it once the server is up and the backoff passed', async (t) => {
    const database = await suite.createDatabase();
    const smtp = await startSmtp({ port: await freePort(), started: false });
    t.after(() => smtp.stop()); // after the app closes
    const app = await suite.startApp({ url: database.url, mailPollMs: 20, env: { GATEHOUSE_SMTP_URL: smtp.url } });
    await seedUser(app.s, 'down@example.com');
    assert.equal((await new Client(app.app).post('/api/password-reset', { email: 'down@example.com' })).status, 202);
    // The first attempt fails (connection refused) and schedules a retry 30 s later on the app's clock.
    await until('a failed attempt', async () => {
      const row = await app.s.db.selectFrom('mail_outbox').select('attempts').where('recipient', '=', 'down@example.com').executeTakeFirst();
      return (row?.attempts ?? 0) >= 1;
    });
    assert.equal(await metric(app, 'queued'), 1);
    assert.equal(await metric(app, 'sent'), 0);

    await smtp.start();
    await sleep(300);
    assert.equal(smtp.received.length, 0, 'not before the backoff has passed');
    clock.advance(31_000);
    const [mail] = await smtp.waitFor(1, { to: 'down@example.com', subject: 'Reset your password' });
    assert.ok(tokenOf(mail!.text));
    await until('marked sent', async () => (await metric(app, 'sent')) === 1);
    assert.equal(await metric(app, 'queued'), 0);
    await sleep(200);
    assert.equal(smtp.received.length, 1, 'sent once');
    const row = await app.s.db.selectFrom('mail_outbox').selectAll().executeTakeFirstOrThrow();
    assert.equal(row.status, 'sent');
    assert.equal(row.body, '', 'the content is dropped once sent');
  });

  it('sends a message claimed by an instance that crashed once its lease runs out, and only once', async (t) => {
    const database = await suite.createDatabase();
    const smtp = await startSmtp();
    t.after(() => smtp.stop());
    // The worker's timer stays out of the way: this test runs its rounds by hand.
    const app = await suite.startApp({ url: database.url, mailPollMs: 3_600_000, env: { GATEHOUSE_SMTP_URL: smtp.url } });
    await seedUser(app.s, 'crash@example.com');
    await new Client(app.app).post('/api/password-reset', { email: 'crash@example.com' });
    // Another instance claimed it and died before sending (or before marking it sent).
    const claimed = await claimDueMessages(app.s.db, { instance: 'crashed-instance', now: clock.now(), leaseMs: LEASE_MS, limit: 10 });
    assert.equal(claimed.length, 1);
    assert.equal(await app.s.mail.worker.runOnce(), 0, 'the lease holds it');
    clock.advance(LEASE_MS - 1000);
    assert.equal(await app.s.mail.worker.runOnce(), 0);
    clock.advance(2000);
    assert.equal(await app.s.mail.worker.runOnce(), 1, 'the lease ran out: sent by this instance');
    assert.equal(await app.s.mail.worker.runOnce(), 0);
    await smtp.waitFor(1, { to: 'crash@example.com' });
    await sleep(200);
    assert.equal(smtp.received.length, 1);
  });

  it('sends each message once when two instances run their workers on one database', async (t) => {
    const database = await suite.createDatabase();
    const smtp = await startSmtp();
    t.after(() => smtp.stop());
    const env = { GATEHOUSE_SMTP_URL: smtp.url };
    const a = await suite.startApp({ url: database.url, mailPollMs: 5, env });
    const b = await suite.startApp({ url: database.url, mailPollMs: 5, env });
    const emails = Array.from({ length: 16 }, (_, i) => `twin${i}@example.com`);
    for (const email of emails) await seedUser(a.s, email);
    // Requests spread over both instances, while both workers poll every 5 ms.
    await Promise.all(emails.map((email, i) => new Client((i % 2 ? a : b).app).post('/api/password-reset', { email })));
    await smtp.waitFor(emails.length, { subject: 'Reset your password' });
    await sleep(500);
    const resets = matching(smtp.received, { subject: 'Reset your password' });
    assert.equal(resets.length, emails.length, 'one message each, none twice');
    assert.equal(new Set(resets.map((m) => m.messageId)).size, emails.length);
    assert.deepEqual(resets.flatMap((m) => m.to).sort(), [...emails].sort());
  });

  it('writes one .eml file (mode 0600) per message without SMTP, whose link resets the password', async (t) => {
    const database = await suite.createDatabase();
    const outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-outbox-test-'));
    t.after(() => fs.rmSync(outboxDir, { recursive: true, force: true }));
    const app = await suite.startApp({ url: database.url, mailPollMs: 20, outboxDir });
    await seedUser(app.s, 'eml@example.com');
    assert.equal((await new Client(app.app).post('/api/password-reset', { email: 'eml@example.com' })).status, 202);
    let files: string[] = [];
    await until('an .eml file', async () => {
      files = fs.readdirSync(outboxDir).filter((f) => f.endsWith('.eml'));
      return files.length === 1;
    });
    const file = path.join(outboxDir, files[0]!);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const mail = await simpleParser(fs.readFileSync(file));
    assert.equal(mail.subject, 'Reset your password');
    const token = tokenOf(mail.text ?? '');
    const done = await new Client(app.app).post('/api/password-reset/complete', { token, newPassword: 'a-brand-new-passphrase-77' });
    assert.equal(done.status, 200);
    assert.equal((await new Client(app.app).signIn('eml@example.com', 'a-brand-new-passphrase-77')).status, 200);

    // An administrator is answered the link itself when no mail leaves the machine.
    const admin = await seedUser(app.s, 'root@example.com', 'admin');
    const c = new Client(app.app);
    await c.signIn('root@example.com');
    await c.stepUp();
    const answer = await c.post(`/api/admin/users/${admin.id}/password-reset`);
    assert.equal(answer.status, 200);
    assert.match(answer.body.link, /^http:\/\/localhost:3000\/reset-password\?token=[A-Za-z0-9_-]{43}$/);
  });
});
