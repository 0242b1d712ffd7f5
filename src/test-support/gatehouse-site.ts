// A real Gatehouse for a browser test: `gatehouse serve` on `url` (its public address) with a fresh
// database of one engine, its own working folder (its data/, its mail outbox), a first
// administrator made with the CLI before it serves, and that administrator signed in over HTTP, to
// set the world up as an administrator would (accounts, settings) while the browser does the rest.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { DialectUnderTest, TestDatabase } from './databases.js';
import { runGatehouse } from './gatehouse-cli.js';
import { enrolTwoFactor, STRONG_PASSWORD } from './harness.js';
import { Phone } from './phone.js';
import { HttpClient, type HttpAnswer, type ServerProcess, startServerProcess } from './processes.js';

export const SITE_ADMIN = 'root@example.com';

export class GatehouseSite {
  private constructor(
    readonly url: string,
    private readonly database: TestDatabase,
    private readonly env: Record<string, string>,
    private readonly dir: string,
    readonly server: ServerProcess,
    readonly admin: HttpClient,
  ) {}

  static async start(dialect: DialectUnderTest, url: string): Promise<GatehouseSite> {
    const database = await dialect.create();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-site-'));
    const env = {
      GATEHOUSE_DATABASE_URL: database.url,
      GATEHOUSE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      GATEHOUSE_PUBLIC_URL: url,
      GATEHOUSE_PORT: new URL(url).port,
    };
    await runGatehouse(env, ['user', 'create', '--email', SITE_ADMIN, '--role', 'admin', '--password-stdin'], STRONG_PASSWORD, dir);
    const server = await startServerProcess(env, dir);
    const admin = new HttpClient(server.baseUrl);
    assert.equal((await admin.post('/api/session', { email: SITE_ADMIN, password: STRONG_PASSWORD })).status, 200);
    return new GatehouseSite(url, database, env, dir, server, admin);
  }

  /** `gatehouse <args>` on this site's database (standard input: `input`); its output. */
  cli(args: string[], input = ''): Promise<string> {
    return runGatehouse(this.env, args, input, this.dir);
  }

  /** An administrator's call; a step-up first when the server asks for one (it lasts 10 minutes). */
  async asAdmin(method: string, url: string, body?: unknown): Promise<HttpAnswer> {
    let answer = await this.admin.call(method, url, body);
    if (answer.status === 403 && answer.body?.error === 'reauthentication_required') {
      assert.equal((await this.admin.stepUp(STRONG_PASSWORD)).status, 204);
      answer = await this.admin.call(method, url, body);
    }
    return answer;
  }

  /** An account (STRONG_PASSWORD) the administrator makes; with `twoFactor`, its owner then enrols: its phone. */
  async account(email: string, twoFactor = false): Promise<Phone> {
    const created = await this.asAdmin('POST', '/api/admin/users', { email, password: STRONG_PASSWORD, role: 'user' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const phone = new Phone();
    if (twoFactor) {
      const owner = new HttpClient(this.server.baseUrl);
      assert.equal((await owner.post('/api/session', { email, password: STRONG_PASSWORD })).status, 200);
      phone.key = (await enrolTwoFactor(owner, { at: await phone.at() })).key;
    }
    return phone;
  }

  /** The accounts with exactly this email, as the administrator's list finds them. */
  async accountsNamed(email: string): Promise<unknown[]> {
    const answer = await this.asAdmin('GET', `/api/admin/users?q=${encodeURIComponent(email)}`);
    return answer.body.users.filter((u: { email: string }) => u.email === email);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.database.drop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
