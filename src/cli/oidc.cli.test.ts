// The OpenID Connect commands, run as an operator would: `client create|update|list|delete`
// (with applications restricted to groups), `oidc rotate-keys` (a running instance publishes both
// keys, signs with the new one), and the master-key rotation carrying the signing keys and client
// secrets along.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIALECTS, type TestDatabase } from '../test-support/databases.js';
import { startTestApp } from '../test-support/harness.js';
import { realClock, clockEnv } from '../test-support/processes.js';

const TSX = import.meta.resolve('tsx');
const ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'run.ts');

for (const dialect of DIALECTS) {
  describe(`gatehouse client and oidc commands on ${dialect.name}`, { skip: dialect.skip }, () => {
    let database: TestDatabase;
    let masterKey = randomBytes(32);
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-oidc-cli-'));
    const gatehouse = (args: string[], input?: string, key = masterKey) =>
      spawnSync(process.execPath, ['--import', TSX, ENTRY, ...args], {
        cwd,
        env: { PATH: process.env.PATH ?? '', ...clockEnv(), GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_ENCRYPTION_KEY: key.toString('base64') },
        input,
        encoding: 'utf8',
      });
    let confidential = { client_id: '', client_secret: '' };

    before(async () => {
      database = await dialect.create();
    });
    after(async () => {
      await database?.drop();
      fs.rmSync(cwd, { recursive: true, force: true });
    });

    it('creates applications and prints their id and secret as JSON (no secret for a public one)', () => {
      const made = gatehouse(['client', 'create', '--name', 'Grafana', '--redirect-uri', 'https://grafana.example.com/login/generic_oauth', '--require-2fa']);
      assert.equal(made.status, 0, made.stderr);
      confidential = JSON.parse(made.stdout);
      assert.deepEqual(Object.keys(confidential), ['client_id', 'client_secret']);
      assert.ok(confidential.client_secret.length >= 43);
      const spa = gatehouse([
        'client',
        'create',
        '--name',
        'Dashboard',
        '--redirect-uri',
        'https://dash.example.com/cb',
        '--public',
        '--trusted',
        '--backchannel-logout-uri',
        'https://dash.example.com/backchannel',
      ]);
      assert.equal(spa.status, 0, spa.stderr);
      assert.deepEqual(Object.keys(JSON.parse(spa.stdout)), ['client_id']);

      const list = JSON.parse(gatehouse(['client', 'list']).stdout) as Array<{
        id: string;
        name: string;
        public: boolean;
        require2fa: boolean;
        trusted: boolean;
        backchannelLogoutUri: string | null;
      }>;
      assert.deepEqual(
        list.map((a) => [a.name, a.public, a.require2fa, a.trusted, a.backchannelLogoutUri]),
        [
          ['Grafana', false, true, false, null],
          ['Dashboard', true, false, true, 'https://dash.example.com/backchannel'],
        ],
      );
      const cleared = gatehouse(['client', 'update', '--id', list[1]!.id, '--no-backchannel-logout']);
      assert.equal(cleared.status, 0, cleared.stderr);
      assert.match(cleared.stdout, /gets no back-channel logouts/);
      assert.ok(!JSON.stringify(list).includes(confidential.client_secret), 'the secret is never shown again');
    });

    it('refuses bad input with one line and a non-zero exit', () => {
      for (const [args, message] of [
        [['client', 'create', '--redirect-uri', 'https://a.example/cb'], /--name is required/],
        [['client', 'create', '--name', 'X'], /--redirect-uri is required/],
        [['client', 'create', '--name', 'X', '--redirect-uri', 'https://a.example/*'], /exact/],
        [['client', 'create', '--name', 'X', '--redirect-uri', 'not an address'], /not an absolute address/],
        [['client', 'delete', '--id', 'nope'], /no application/],
        [['oidc', 'spin'], /unknown oidc command/],
      ] as Array<[string[], RegExp]>) {
        const run = gatehouse(args);
        assert.notEqual(run.status, 0, args.join(' '));
        assert.match(run.stderr, message);
        assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      }
    });

    it('rotates the signing key: a running instance publishes old and new, and signs with the new', async () => {
      let now = realClock();
      const t = await startTestApp({ url: database.url, masterKey, clock: () => now });
      try {
        const before = (await t.app.inject({ method: 'GET', url: '/oidc/jwks' })).json().keys as Array<{ kid: string }>;
        assert.equal(before.length, 1);
        const rotated = gatehouse(['oidc', 'rotate-keys']);
        assert.equal(rotated.status, 0, rotated.stderr);
        now += 6_000; // past the instance's key check interval
        const after = (await t.app.inject({ method: 'GET', url: '/oidc/jwks' })).json().keys as Array<{ kid: string }>;
        assert.equal(after.length, 2);
        assert.notEqual(after[0]!.kid, before[0]!.kid, 'the new key comes first: it signs');
        assert.equal(after[1]!.kid, before[0]!.kid, 'the old key is still published');
      } finally {
        await t.close();
      }
    });

    it('carries signing keys and client secrets over a master-key rotation', async () => {
      const newKey = randomBytes(32);
      const run = gatehouse(['rotate-key', '--old-key-stdin'], masterKey.toString('base64'), newKey);
      assert.equal(run.status, 0, run.stderr);
      masterKey = newKey;
      const t = await startTestApp({ url: database.url, masterKey, clock: realClock });
      try {
        assert.equal((await t.app.inject({ method: 'GET', url: '/oidc/jwks' })).json().keys.length, 2);
        const client = await (await t.s.oidc.current()).Client.find(confidential.client_id);
        assert.equal(client?.clientSecret, confidential.client_secret);
      } finally {
        await t.close();
      }
      const gone = gatehouse(['client', 'delete', '--id', confidential.client_id]);
      assert.equal(gone.status, 0, gone.stderr);
      assert.equal((JSON.parse(gatehouse(['client', 'list']).stdout) as unknown[]).length, 1);
    });

    it('restricts applications to groups with --group, and refuses an unknown group with nothing saved', async () => {
      const t = await startTestApp({ url: database.url, masterKey, clock: realClock });
      try {
        await t.s.groups.create('family', 'cli', null);
        await t.s.groups.create('friends', 'cli', null);
      } finally {
        await t.close();
      }
      const list = () => JSON.parse(gatehouse(['client', 'list']).stdout) as Array<{ id: string; name: string; allowedGroups: string[] }>;
      const before = list();
      assert.ok(
        before.every((a) => a.allowedGroups.length === 0),
        'applications are open to everyone unless restricted',
      );

      const made = gatehouse([
        'client',
        'create',
        '--name',
        'Photos',
        '--redirect-uri',
        'https://photos.example.com/cb',
        '--group',
        'friends',
        '--group',
        'family',
      ]);
      assert.equal(made.status, 0, made.stderr);
      const { client_id: id } = JSON.parse(made.stdout) as { client_id: string };
      assert.deepEqual(list().find((a) => a.id === id)?.allowedGroups, ['family', 'friends']);

      for (const [args, message] of [
        [
          ['client', 'create', '--name', 'Nope', '--redirect-uri', 'https://nope.example.com/cb', '--group', 'family', '--group', 'nosuch'],
          /no group named "nosuch"/,
        ],
        [['client', 'create', '--name', 'Nope', '--redirect-uri', 'https://nope.example.com/cb', '--group', 'Not A Name'], /group/i],
        [['client', 'update', '--id', id, '--group', 'nosuch'], /no group named "nosuch"/],
        [['client', 'update', '--id', id], /--group NAME \(repeatable\) or --everyone is required/],
        [['client', 'update', '--id', id, '--group', 'family', '--everyone'], /exclude each other/],
        [['client', 'update', '--id', 'nope', '--everyone'], /no application/],
      ] as Array<[string[], RegExp]>) {
        const run = gatehouse(args);
        assert.notEqual(run.status, 0, args.join(' '));
        assert.match(run.stderr, message);
        assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      }
      const after = list();
      assert.equal(after.length, before.length + 1, 'no application was half-made by a refused create');
      assert.ok(!after.some((a) => a.name === 'Nope'));
      assert.deepEqual(after.find((a) => a.id === id)?.allowedGroups, ['family', 'friends'], 'a refused update changes nothing');

      const narrowed = gatehouse(['client', 'update', '--id', id, '--group', 'family']);
      assert.equal(narrowed.status, 0, narrowed.stderr);
      assert.match(narrowed.stdout, /open to the groups family only/);
      assert.deepEqual(list().find((a) => a.id === id)?.allowedGroups, ['family']);
      const opened = gatehouse(['client', 'update', '--id', id, '--everyone']);
      assert.equal(opened.status, 0, opened.stderr);
      assert.deepEqual(list().find((a) => a.id === id)?.allowedGroups, []);
    });
  });
}
