// contrib/systemd/gatehouse.service: systemd itself checks the unit (`systemd-analyze verify`) and
// scores its hardening (`systemd-analyze security --offline=yes`); the score may not get worse than
// the figure the README promises.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { skipUnless } from '../../src/test-support/databases.js';

const UNIT = path.resolve('contrib/systemd/gatehouse.service');
const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
const skip = skipUnless(hasAnalyze, 'systemd unit: systemd-analyze is not installed (apt-get install systemd)');

function exposure(unitFile: string): number {
  const run = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', unitFile], { encoding: 'utf8' });
  const match = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(run.stdout);
  assert.ok(match, `no exposure score in: ${run.stdout}${run.stderr}`);
  return Number(match[1]);
}

/** A copy of the unit with one line changed, in a folder of its own (the name stays gatehouse.service). */
function variant(edit: (text: string) => string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-unit-'));
  const file = path.join(dir, 'gatehouse.service');
  fs.writeFileSync(file, edit(fs.readFileSync(UNIT, 'utf8')));
  return file;
}

describe('the systemd unit', { skip }, () => {
  it('passes systemd-analyze verify (and verify does catch a broken unit)', () => {
    const run = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr.trim(), '', 'no warnings either');
    const broken = variant((t) => t.replace('ExecStart=/usr/bin/node', 'ExecStart=/nonexistent/node'));
    assert.notEqual(spawnSync('systemd-analyze', ['verify', broken], { encoding: 'utf8' }).status, 0);
  });

  it('has the hardening a security service needs', () => {
    const text = fs.readFileSync(UNIT, 'utf8');
    for (const line of [
      'DynamicUser=yes',
      'StateDirectory=gatehouse',
      'ProtectSystem=strict',
      'NoNewPrivileges=yes',
      'CapabilityBoundingSet=\n',
      'SystemCallFilter=@system-service',
      'LoadCredential=gatehouse.key:',
      'Environment=GATEHOUSE_ENCRYPTION_KEY_FILE=%d/gatehouse.key',
      'PrivateTmp=yes',
      'RestrictAddressFamilies=',
    ])
      assert.ok(text.includes(line), `the unit lacks ${line.trim()}`);
  });

  it('scores no worse than the exposure level the README states', () => {
    const readme = fs.readFileSync('README.md', 'utf8');
    const promised = /systemd-analyze security[^\n]*?exposure (?:level|score) (\d+\.\d)/.exec(readme);
    assert.ok(promised, 'README.md states the unit\'s "exposure level N.N" from systemd-analyze security');
    const score = exposure(UNIT);
    assert.ok(score <= Number(promised[1]), `exposure ${score} is worse than the README's ${promised[1]}`);
    // The measure moves when hardening goes: without the system-call filter the score rises.
    const weaker = variant((t) => t.replace(/^SystemCallFilter=.*$/gm, '').replace('PrivateUsers=yes', ''));
    assert.ok(exposure(weaker) > score, 'dropping hardening raises the score');
  });
});
