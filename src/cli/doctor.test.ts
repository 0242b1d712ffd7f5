// `gatehouse doctor`: for each check, a broken configuration it reports as an error (or warning)
// with a fix, and the same check passing once fixed; the command exits 1 on errors.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrateTo, migrateToLatest } from '../db/migrate.js';
import { DIALECTS } from '../test-support/databases.js';
import { startSmtp } from '../test-support/smtp.js';
import { realClock, clockEnv } from '../test-support/processes.js';
import { DIRECTORY_CHECKS, type Finding, formatFindings, runDoctor } from './doctor.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-doctor-'));
const key = randomBytes(32).toString('base64');
const migratedDb = path.join(dir, 'migrated', 'gatehouse.db');

async function doctor(env: Record<string, string>, options: { clock?: () => number } = {}): Promise<Finding[]> {
  return runDoctor(() => loadConfig({ GATEHOUSE_DATABASE_URL: `sqlite:${migratedDb}`, GATEHOUSE_ENCRYPTION_KEY: key, ...env }), {
    timeoutMs: 3000,
    ...options,
  });
}
function only(findings: Finding[], check: string): Finding {
  const found = findings.filter((f) => f.check === check);
  assert.equal(found.length, 1, `one ${check} finding in ${JSON.stringify(findings)}`);
  return found[0]!;
}
function assertProblem(finding: Finding, severity: 'error' | 'warning', pattern: RegExp) {
  assert.equal(finding.severity, severity, JSON.stringify(finding));
  assert.match(finding.message, pattern);
  assert.ok(finding.fix && finding.fix.length > 10, 'says how to fix it');
}

describe('gatehouse doctor', () => {
  before(async () => {
    const { db, close } = openDatabase(`sqlite:${migratedDb}`);
    await migrateToLatest(db);
    await close();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a configuration that does not load: the variable and its fix, and nothing else', async () => {
    const findings = await doctor({ GATEHOUSE_PORT: 'eighty' });
    assert.equal(findings.length, 1);
    assertProblem(only(findings, 'configuration'), 'error', /GATEHOUSE_PORT: "eighty" is not a whole number/);
  });

  it('public URL: plain http on a public host is an error; https or loopback is fine', async () => {
    assertProblem(only(await doctor({ GATEHOUSE_PUBLIC_URL: 'http://login.example.com' }), 'public URL and cookies'), 'error', /not Secure/);
    assert.equal(only(await doctor({ GATEHOUSE_PUBLIC_URL: 'https://login.example.com' }), 'public URL and cookies').severity, 'ok');
    assert.equal(only(await doctor({}), 'public URL and cookies').severity, 'ok');
  });

  it('trusted proxies: trusting every address is an error; https on a public interface with none trusted, a warning', async () => {
    assertProblem(only(await doctor({ GATEHOUSE_TRUST_PROXY: '0.0.0.0/0' }), 'trusted proxies'), 'error', /trusts every address/);
    const behind = { GATEHOUSE_PUBLIC_URL: 'https://login.example.com', GATEHOUSE_HOST: '0.0.0.0' };
    assertProblem(only(await doctor(behind), 'trusted proxies'), 'warning', /GATEHOUSE_TRUST_PROXY is empty/);
    assert.equal(only(await doctor({ ...behind, GATEHOUSE_TRUST_PROXY: '10.0.0.5' }), 'trusted proxies').severity, 'ok');
  });

  it('key file: readable by others is an error, 0600 is fine (GATEHOUSE_ENCRYPTION_KEY_FILE and the SQLite key file)', async () => {
    const file = path.join(dir, 'secret.key');
    fs.writeFileSync(file, `${key}\n`, { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const env = { GATEHOUSE_ENCRYPTION_KEY: '', GATEHOUSE_ENCRYPTION_KEY_FILE: file };
    assertProblem(only(await doctor(env), 'key file'), 'error', /readable by others \(mode 0644\)/);
    fs.chmodSync(file, 0o600);
    assert.equal(only(await doctor(env), 'key file').severity, 'ok');
    const beside = path.join(path.dirname(migratedDb), 'gatehouse.key');
    fs.writeFileSync(beside, `${key}\n`, { mode: 0o640 });
    fs.chmodSync(beside, 0o640);
    assertProblem(only(await doctor({ GATEHOUSE_ENCRYPTION_KEY: '' }), 'key file'), 'error', /gatehouse\.key is readable by others/);
    fs.rmSync(beside);
  });

  it('database: unreachable, from a newer version, or behind on migrations', async () => {
    const unreachable = only(await doctor({ GATEHOUSE_DATABASE_URL: 'postgres://gatehouse:hunter2@127.0.0.1:1/gatehouse' }), 'database');
    assertProblem(unreachable, 'error', /not reachable/);
    assert.ok(!unreachable.message.includes('hunter2'), 'never the password');

    const newer = path.join(dir, 'newer', 'gatehouse.db');
    fs.mkdirSync(path.dirname(newer));
    fs.copyFileSync(migratedDb, newer);
    new SQLite(newer).prepare("insert into kysely_migration (name, timestamp) values ('9999_newer', '2030-01-01')").run();
    assertProblem(only(await doctor({ GATEHOUSE_DATABASE_URL: `sqlite:${newer}` }), 'database'), 'error', /newer Gatehouse \(9999_newer\)/);

    const behind = path.join(dir, 'behind', 'gatehouse.db');
    const old = openDatabase(`sqlite:${behind}`);
    await migrateTo(old.db, '0005_trusted_devices');
    await old.close();
    assertProblem(only(await doctor({ GATEHOUSE_DATABASE_URL: `sqlite:${behind}` }), 'database'), 'warning', /migrations to apply/);

    assert.equal(only(await doctor({}), 'database').severity, 'ok');
    const absent = path.join(dir, 'absent', 'gatehouse.db');
    assert.equal(only(await doctor({ GATEHOUSE_DATABASE_URL: `sqlite:${absent}` }), 'database').severity, 'ok');
    assert.ok(!fs.existsSync(absent), 'doctor creates nothing');
  });

  it('SMTP: a server that does not answer is an error; one that does is fine', async () => {
    const smtp = await startSmtp();
    try {
      assert.equal(only(await doctor({ GATEHOUSE_SMTP_URL: smtp.url }), 'SMTP').severity, 'ok');
      const wrong = smtp.url.replace(`:${smtp.port}`, ':1');
      const finding = only(await doctor({ GATEHOUSE_SMTP_URL: wrong }), 'SMTP');
      assertProblem(finding, 'error', /does not work/);
      assert.ok(!finding.message.includes('smtp-secret-for-tests'), 'never the password');
    } finally {
      await smtp.stop();
    }
  });

  const postgres = DIALECTS.find((d) => d.name === 'postgres')!;
  it('clock: a machine two minutes off the PostgreSQL server is an error (a warning with GATEHOUSE_ALLOW_CLOCK_SKEW=1)', { skip: postgres.skip }, async () => {
    const database = await postgres.create();
    try {
      const { db, close } = openDatabase(database.url);
      await migrateToLatest(db);
      await close();
      const env = { GATEHOUSE_DATABASE_URL: database.url };
      const off = () => realClock() + 120_000; // the machine's clock, as doctor would read it, two minutes fast
      assertProblem(only(await doctor(env, { clock: off }), 'clock'), 'error', /ahead of the database server's|of the database server's/);
      assert.equal(only(await doctor({ ...env, GATEHOUSE_ALLOW_CLOCK_SKEW: '1' }, { clock: off }), 'clock').severity, 'warning');
      assert.equal(only(await doctor(env), 'clock').severity, 'ok');
      assert.equal(only(await doctor(env), 'database').severity, 'ok');
    } finally {
      await database.drop();
    }
  });

  it('directory: a check the directory module adds runs with the others', async () => {
    DIRECTORY_CHECKS.push(async () => [
      { check: 'directory', severity: 'error', message: 'ldap://dir.example.com does not answer', fix: 'Check GATEHOUSE_LDAP_URL.' },
    ]);
    try {
      assertProblem(only(await doctor({}), 'directory'), 'error', /does not answer/);
    } finally {
      DIRECTORY_CHECKS.pop();
    }
  });

  it('the command prints each problem with its fix and exits 1 on errors, 0 without', () => {
    const entry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'run.ts');
    const gatehouse = (env: Record<string, string>) =>
      spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), entry, 'doctor'], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', ...clockEnv(), GATEHOUSE_DATABASE_URL: `sqlite:${migratedDb}`, GATEHOUSE_ENCRYPTION_KEY: key, ...env },
        encoding: 'utf8',
      });
    const bad = gatehouse({ GATEHOUSE_PUBLIC_URL: 'http://login.example.com' });
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stdout, /ERROR public URL and cookies: .*\n\s+fix: Serve Gatehouse over https/);
    const good = gatehouse({});
    assert.equal(good.status, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /No errors/);
    assert.match(formatFindings([{ check: 'x', severity: 'warning', message: 'm', fix: 'f' }]), /WARN {2}x: m\n {6}fix: f\nNo errors, 1 warning/);
  });
});
