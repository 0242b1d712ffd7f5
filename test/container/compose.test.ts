// compose.yaml and its Caddyfile, checked for structure (no compose tool runs them here: what this
// proves and what it does not is in docs/operations.md). The default service is the image on
// SQLite with its data in a volume; the postgres profile has PostgreSQL, two instances sharing it
// and the key, and Caddy in front, the only proxy the instances trust.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { parse } from 'yaml';
import { skipUnless } from '../../src/test-support/databases.js';

interface Service {
  build?: string;
  image?: string;
  profiles?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  secrets?: Array<string | { source: string; uid?: string; mode?: number }>;
  depends_on?: Record<string, { condition: string }> | string[];
  networks?: string[] | Record<string, { ipv4_address?: string }>;
  ports?: string[];
}
const compose = parse(fs.readFileSync('compose.yaml', 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { file: string }>;
  networks: Record<string, { ipam: { config: Array<{ subnet: string }> } }>;
};
const hasCaddy = spawnSync('caddy', ['version']).status === 0;

describe('compose.yaml', () => {
  it('runs the image on SQLite by default, with /data in a named volume', () => {
    const g = compose.services.gatehouse!;
    assert.equal(g.build, '.', 'built from the Containerfile here');
    assert.equal(g.profiles, undefined, 'started by a plain `compose up`');
    const data = g.volumes?.find((v) => v.endsWith(':/data'));
    assert.ok(data, 'the data folder is a volume');
    assert.ok(data.split(':')[0]! in compose.volumes, 'a declared named volume');
    assert.equal(g.environment?.GATEHOUSE_DATABASE_URL, undefined, "the image's own default: sqlite:/data/gatehouse.db");
    assert.ok(
      g.ports?.every((p) => p.startsWith('127.0.0.1:')),
      'published on loopback only: TLS comes from a proxy',
    );
  });

  it('has a postgres profile: PostgreSQL, two instances sharing it and the key, Caddy the one trusted proxy', () => {
    const profile = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('postgres'));
    assert.deepEqual(profile.map(([name]) => name).sort(), ['caddy', 'gatehouse-1', 'gatehouse-2', 'postgres']);
    const caddy = compose.services.caddy!;
    const caddyAddress = (caddy.networks as Record<string, { ipv4_address?: string }>).backend?.ipv4_address;
    assert.ok(caddyAddress, 'Caddy has a fixed address');
    const subnet = compose.networks.backend!.ipam.config[0]!.subnet;
    assert.ok(caddyAddress.startsWith(subnet.split('.').slice(0, 3).join('.')), `${caddyAddress} is in ${subnet}`);
    for (const name of ['gatehouse-1', 'gatehouse-2']) {
      const s = compose.services[name]!;
      assert.equal(s.image, compose.services.gatehouse!.image, 'the same image');
      assert.match(s.environment!.GATEHOUSE_DATABASE_URL!, /^postgres:\/\/gatehouse:\$\{POSTGRES_PASSWORD[^}]*\}@postgres:5432\/gatehouse$/);
      assert.equal(s.environment!.GATEHOUSE_ENCRYPTION_KEY_FILE, '/run/secrets/gatehouse_key');
      assert.equal(s.environment!.GATEHOUSE_TRUST_PROXY, caddyAddress);
      assert.match(s.environment!.GATEHOUSE_PUBLIC_URL!, /^https:\/\//);
      assert.deepEqual(s.secrets, [{ source: 'gatehouse_key', uid: '10001', mode: 0o400 }], "readable by the image's user only");
      assert.deepEqual(s.depends_on, { postgres: { condition: 'service_healthy' } });
      assert.equal(s.ports, undefined, 'reached only through Caddy');
    }
    assert.ok('gatehouse_key' in compose.secrets);
    for (const s of Object.values(compose.services))
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (!source.startsWith('.')) assert.ok(source in compose.volumes, `volume ${source} is declared`);
        else assert.ok(fs.existsSync(source), `${source} exists`);
      }
  });

  it('points Caddy at both instances', () => {
    const caddyfile = fs.readFileSync('contrib/compose/Caddyfile', 'utf8');
    assert.match(caddyfile, /reverse_proxy gatehouse-1:3000 gatehouse-2:3000/);
    assert.match(caddyfile, /health_uri \/healthz/);
  });

  it('has a Caddyfile that Caddy accepts', { skip: skipUnless(hasCaddy, 'caddy validate: caddy is not installed') }, () => {
    const run = spawnSync('caddy', ['validate', '--config', 'contrib/compose/Caddyfile', '--adapter', 'caddyfile'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
  });
  it('.dockerignore is .containerignore (Docker reads one, Podman the other)', () => {
    const rules = (file: string) =>
      fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#'));
    assert.deepEqual(rules('.dockerignore'), rules('.containerignore'));
    assert.ok(rules('.containerignore').includes('data'), 'the data folder (database, key file) never goes into a build');
  });
});
