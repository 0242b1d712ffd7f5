// Every package the lockfile installs runs on the Node.js versions Gatehouse promises
// (`engines` in package.json: 20.19+ on the 20 line, 22.13+): the check behind npm's EBADENGINE
// warning, made for the whole promised range rather than only the Node running the test. The
// pins that keep it so (cookie 1.1, content-disposition 2.0 under @fastify/static) are explained
// in the README's "Node 20" paragraph.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: Record<string, string> | string[] }>;
};

/** The oldest release of each line the README promises: a package must accept every one of them. */
const PROMISED = ['20.19.0', '22.13.0'];

describe('installed packages and the promised Node.js versions', () => {
  it('package.json promises the lines the README names', () => {
    for (const version of PROMISED) assert.ok(semver.satisfies(version, manifest.engines.node), version);
    assert.ok(!semver.satisfies('18.20.0', manifest.engines.node));
  });

  it('no package in the lockfile declares an engine range that leaves out a promised version', () => {
    const refused: string[] = [];
    for (const [where, entry] of Object.entries(lock.packages)) {
      const range = entry.engines && !Array.isArray(entry.engines) ? entry.engines.node : undefined;
      if (where === '' || !range) continue;
      for (const version of [...PROMISED, process.versions.node]) {
        if (!semver.satisfies(version, range)) refused.push(`${where}@${entry.version} wants node ${range}, not ${version}`);
      }
    }
    assert.deepEqual(refused, []);
  });
});
