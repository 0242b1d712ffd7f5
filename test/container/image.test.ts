// The container image, built from the real Containerfile (on bases made here: see ./image.ts) and
// run with podman: the first administrator made with `podman exec … gatehouse user create`, TOTP
// turned on through the HTTP API and a sign-in with a code, SIGTERM stops it (exit 0, within
// 10 s), a new container on the same volume and the same key secret signs in again. Skipped by
// name when this machine cannot build or run containers, unless GATEHOUSE_TEST_REQUIRE_ALL=1.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REQUIRE_ALL } from '../../src/test-support/databases.js';
import { enrolTwoFactor } from '../../src/test-support/harness.js';
import { HttpClient, freePort, realClock } from '../../src/test-support/processes.js';
import { phoneCode } from '../../src/test-support/authenticator.js';
import { TOTP_STEP_MS } from '../../src/test-support/clock.js';
import { ULIMITS, buildImage, missingTools, podman } from './image.js';

const missing = missingTools();
const skip = missing && !REQUIRE_ALL ? `SKIPPED container image: ${missing}` : undefined;
const TAG = 'localhost/gatehouse-test:latest';
const id = randomBytes(4).toString('hex');
const volume = `gatehouse-test-data-${id}`;
const secret = `gatehouse-test-key-${id}`;
const containers: string[] = [];
const EMAIL = 'first-admin@example.com';
const PASSWORD = 'a-long-unique-container-password';
const STOP_BOUND_MS = 10_000;

function ok(run: { status: number | null; stdout: string; stderr: string }, what: string): string {
  assert.equal(run.status, 0, `${what}: ${run.stderr || run.stdout}`);
  return run.stdout;
}

/** One container of the image on the test's volume and key secret, published on a loopback port. */
async function start(): Promise<{ name: string; baseUrl: string }> {
  const port = await freePort();
  const name = `gatehouse-test-${id}-${containers.length}`;
  containers.push(name);
  ok(
    podman([
      'run',
      '-d',
      '--name',
      name,
      ...ULIMITS,
      '-p',
      `127.0.0.1:${port}:3000`,
      '-v',
      `${volume}:/data`,
      '--secret',
      `${secret},type=mount,uid=10001,mode=0400`,
      '-e',
      `GATEHOUSE_ENCRYPTION_KEY_FILE=/run/secrets/${secret}`,
      '-e',
      `GATEHOUSE_PUBLIC_URL=http://127.0.0.1:${port}`,
      '-e',
      'GATEHOUSE_SIGNIN_RATE_LIMIT=0',
      TAG,
    ]),
    'podman run',
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 120; i++) {
    const answer = await fetch(`${baseUrl}/healthz`).catch(() => null);
    if (answer?.status === 200) return { name, baseUrl };
    await sleep(250);
  }
  throw new Error(`the container did not become healthy:\n${podman(['logs', name]).stdout}${podman(['logs', name]).stderr}`);
}

/** Stops a container as `podman stop` does (SIGTERM first), and how long it took. */
function stop(name: string): { ms: number; exitCode: number } {
  const started = performance.now();
  ok(podman(['stop', '--time', String(STOP_BOUND_MS / 1000 + 5), name]), 'podman stop');
  const ms = performance.now() - started;
  return { ms, exitCode: Number(podman(['inspect', name, '--format', '{{.State.ExitCode}}']).stdout.trim()) };
}

describe('the container image', { skip, timeout: 30 * 60_000 }, () => {
  let totpKey = '';
  let backupCodes: string[] = [];
  let lastStep = 0;

  before(async () => {
    const { seconds } = await buildImage(TAG);
    process.stdout.write(`# container image: built in ${seconds} s\n`);
    ok(podman(['volume', 'create', volume]), 'podman volume create');
    const keyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-image-')), 'key');
    fs.writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    ok(podman(['secret', 'create', secret, keyFile]), 'podman secret create');
    fs.rmSync(path.dirname(keyFile), { recursive: true, force: true });
  });
  after(() => {
    for (const name of containers) podman(['rm', '-f', '--time', '0', name]);
    podman(['volume', 'rm', '-f', volume]);
    podman(['secret', 'rm', secret]);
  });

  it('runs as an unprivileged user with production dependencies only, and its HEALTHCHECK passes', async () => {
    const { name } = await start();
    assert.equal(ok(podman(['exec', name, 'id', '-u']), 'id').trim(), '10001');
    const has = (module: string) => podman(['exec', name, 'test', '-e', `/app/node_modules/${module}/package.json`]).status === 0;
    for (const prod of ['fastify', 'better-sqlite3', 'oidc-provider']) assert.ok(has(prod), `production dependency ${prod}`);
    for (const dev of ['vite', 'typescript', 'tsx', '@biomejs/biome', 'playwright-core']) assert.ok(!has(dev), `no ${dev}`);
    assert.equal(ok(podman(['exec', name, 'find', '/app/node_modules', '-maxdepth', '1', '-type', 'd', '-empty']), 'find').trim(), '', 'no empty folders left');
    assert.notEqual(podman(['exec', name, 'ls', '/app/src']).status, 0, 'no sources, only the build');
    ok(podman(['healthcheck', 'run', name]), 'podman healthcheck run');
    assert.match(podman(['inspect', name, '--format', '{{.Config.Healthcheck.Test}}']).stdout, /healthz/);
    stop(name);
  });

  it('makes the first admin with podman exec, turns on TOTP over HTTP and signs in with a code; SIGTERM stops it', async () => {
    const { name, baseUrl } = await start();
    const created = ok(
      podman(['exec', '-i', name, 'gatehouse', 'user', 'create', '--email', EMAIL, '--role', 'admin', '--password-stdin'], PASSWORD),
      'user create',
    );
    assert.match(created.trim(), /^[0-9a-f-]{36}$/);

    const enrolling = new HttpClient(baseUrl);
    assert.equal((await enrolling.post('/api/session', { email: EMAIL, password: PASSWORD })).status, 200);
    ({ key: totpKey, backupCodes } = await enrolTwoFactor(enrolling, { at: realClock(), password: PASSWORD }));

    const client = new HttpClient(baseUrl);
    const first = await client.post('/api/session', { email: EMAIL, password: PASSWORD });
    assert.equal(first.body.status, 'second_factor_required', 'the password alone is not enough now');
    const at = realClock() + TOTP_STEP_MS; // the next step: the enrolment spent this one
    const second = await client.post('/api/session/second-factor', { code: phoneCode(totpKey, at) });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    lastStep = Math.floor(at / TOTP_STEP_MS);

    const { ms, exitCode } = stop(name);
    assert.equal(exitCode, 0, `exit code after SIGTERM:\n${podman(['logs', name]).stderr}`);
    assert.ok(ms < STOP_BOUND_MS, `stopped in ${Math.round(ms)} ms`);
    assert.match(podman(['logs', name]).stdout + podman(['logs', name]).stderr, /SIGTERM: stopping/);
  });

  it('starts again on the same volume and key: the account, its TOTP and its backup codes still work', async () => {
    assert.ok(totpKey, 'the sign-in test ran first');
    const { baseUrl } = await start();
    const withCode = new HttpClient(baseUrl);
    assert.equal((await withCode.post('/api/session', { email: EMAIL, password: PASSWORD })).body.status, 'second_factor_required');
    assert.equal((await withCode.post('/api/session/second-factor', { code: backupCodes[0] })).status, 200, 'a backup code');
    // An app code of a later step than the one spent before the restart (no code works twice).
    while (Math.floor(realClock() / TOTP_STEP_MS) + 1 <= lastStep) await sleep(500);
    const withApp = new HttpClient(baseUrl);
    await withApp.post('/api/session', { email: EMAIL, password: PASSWORD });
    const second = await withApp.post('/api/session/second-factor', { code: phoneCode(totpKey, realClock() + TOTP_STEP_MS) });
    assert.equal(second.status, 200, JSON.stringify(second.body));
  });
});
