// The Node.js version running the tests is one that every package installs for: the project's own
// `engines`, every package that `npm ci` installs from package-lock.json on this platform, and every
// package in node_modules as it is now. npm only warns (EBADENGINE) when a dependency excludes the
// running Node; this turns that warning into a failing test, naming the package and its range.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// semver is npm's own range logic (fastify and node-abi depend on it; a devDependency here too).
// Loaded through require with the one signature used: it ships no types of its own.
const semver = createRequire(import.meta.url)('semver') as {
  satisfies(version: string, range: string, options?: { includePrerelease?: boolean }): boolean;
};

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NODE = process.version;

interface LockEntry {
  version?: string;
  engines?: { node?: string } | string[];
  os?: string[];
  cpu?: string[];
}

const nodeRange = (engines: LockEntry['engines']): string | undefined => (engines && !Array.isArray(engines) ? engines.node : undefined);

/** npm's os/cpu lists: empty or absent fits everything; "!x" excludes x; otherwise the value must be listed. */
function fits(list: string[] | undefined, value: string): boolean {
  if (!list || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  const wanted = list.filter((item) => !item.startsWith('!'));
  return wanted.length === 0 || wanted.includes(value);
}

const excludes = (range: string | undefined): boolean => range !== undefined && !semver.satisfies(NODE, range, { includePrerelease: true });

/** Every package folder under node_modules (scoped and nested ones too), with its package.json. */
function installedPackages(dir: string, out: Array<{ dir: string; json: { version?: string; engines?: { node?: string } } }> = []) {
  if (!fs.existsSync(dir)) return out;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const full = path.join(dir, name);
    if (name.startsWith('@')) {
      installedPackages(full, out);
      continue;
    }
    const manifest = path.join(full, 'package.json');
    if (!fs.existsSync(manifest)) continue;
    out.push({ dir: full, json: JSON.parse(fs.readFileSync(manifest, 'utf8')) });
    installedPackages(path.join(full, 'node_modules'), out);
  }
  return out;
}

describe(`engines: every package supports the running Node.js (${NODE})`, () => {
  it("is in the project's own engines range", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.ok(pkg.engines?.node, 'package.json names the Node.js versions it supports (engines.node)');
    assert.ok(!excludes(pkg.engines.node), `package.json engines.node is ${pkg.engines.node}; this is Node.js ${NODE}`);
  });

  it('is accepted by every package that npm ci installs here (package-lock.json)', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
    const here = Object.entries(lock.packages).filter(([key, entry]) => key !== '' && fits(entry.os, process.platform) && fits(entry.cpu, process.arch));
    assert.ok(here.length > 100, `${here.length} packages in the lockfile`);
    const refused = here
      .filter(([, entry]) => excludes(nodeRange(entry.engines)))
      .map(([key, entry]) => `${key}@${entry.version} wants ${nodeRange(entry.engines)}`);
    assert.deepEqual(refused, [], 'pin a version whose engines include this Node.js');
  });

  it('is accepted by every package installed in node_modules', () => {
    const installed = installedPackages(path.join(ROOT, 'node_modules'));
    assert.ok(installed.length > 100, `${installed.length} packages installed (run npm ci first)`);
    const refused = installed
      .filter(({ json }) => excludes(json.engines?.node))
      .map(({ dir, json }) => `${path.relative(ROOT, dir)}@${json.version} wants ${json.engines?.node}`);
    assert.deepEqual(refused, [], 'node_modules differs from what this Node.js supports: pin a version, then npm ci');
  });
});
