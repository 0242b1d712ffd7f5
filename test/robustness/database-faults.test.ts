// PostgreSQL stopped and started again under load: requests fail fast with 503 `unavailable`
// (they do not hang), /healthz says 503, and the service recovers by itself. The test runs its
// own PostgreSQL cluster (initdb as the postgres user) so that stopping it disturbs nothing else.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { skipUnless } from '../../src/test-support/databases.js';
import { STRONG_PASSWORD, seedUser, startTestApp } from '../../src/test-support/harness.js';
import { HttpClient, freePort, realClock, startServerProcess, type ServerProcess } from '../../src/test-support/processes.js';

const PG_BIN = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'].find((d) => fs.existsSync(path.join(d, 'initdb')));
const canRun = PG_BIN !== undefined && process.getuid?.() === 0 && fs.existsSync('/usr/sbin/runuser');
const skip = skipUnless(canRun, 'PostgreSQL faults: needs initdb and root (to run it as the postgres user)');

function asPostgres(command: string, args: string[]): string {
  return execFileSync('/usr/sbin/runuser', ['-u', 'postgres', '--', path.join(PG_BIN!, command), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('PostgreSQL stopped and started under load', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-pgfault-'));
  const data = path.join(dir, 'data');
  let port = 0;
  let server: ServerProcess;
  const startPg = () =>
    asPostgres('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start']);
  const stopPg = () => asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);

  before(async () => {
    fs.chmodSync(dir, 0o777);
    port = await freePort();
    asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    startPg();
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const masterKey = randomBytes(32);
    const seed = await startTestApp({ url, masterKey, clock: realClock });
    await seedUser(seed.s, 'steady@example.com');
    await seed.close();
    server = await startServerProcess({ GATEHOUSE_DATABASE_URL: url, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') });
  });

  after(async () => {
    await server?.stop();
    try {
      stopPg();
    } catch {
      // already stopped
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 fast while the database is down and recovers without a restart', async () => {
    const client = new HttpClient(server.baseUrl);
    assert.equal((await client.post('/api/session', { email: 'steady@example.com', password: STRONG_PASSWORD })).status, 200);
    assert.equal((await client.get('/healthz')).status, 200);

    stopPg();
    const started = performance.now();
    const down = await Promise.all([
      client.get('/api/session'),
      new HttpClient(server.baseUrl).post('/api/session', { email: 'steady@example.com', password: STRONG_PASSWORD }),
      client.get('/healthz'),
    ]);
    const took = performance.now() - started;
    assert.deepEqual(
      down.map((r) => r.status),
      [503, 503, 503],
    );
    assert.equal(down[0]!.body.error, 'unavailable');
    assert.equal(down[1]!.body.error, 'unavailable');
    assert.ok(!JSON.stringify(down).includes('ECONNREFUSED'), 'no driver detail leaks');
    assert.ok(took < 5000, `failed fast (${took} ms)`);

    startPg();
    let recovered = false;
    for (let i = 0; i < 50 && !recovered; i++) {
      recovered = (await client.get('/healthz')).status === 200;
      if (!recovered) await sleep(200);
    }
    assert.ok(recovered, 'healthz recovers');
    assert.equal((await client.get('/api/session')).status, 200, 'the session survived the outage');
    assert.equal((await new HttpClient(server.baseUrl).post('/api/session', { email: 'steady@example.com', password: STRONG_PASSWORD })).status, 200);
  });
});
