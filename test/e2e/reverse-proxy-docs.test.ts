// docs/reverse-proxy.md gives every recipe twice: under https (the realistic one) and over plain
// http on loopback (the one the end-to-end tests run). These checks keep the two the same recipe,
// so what the tests prove holds for the https one too, and have nginx and Caddy parse the https
// ones (with throwaway certificates for nginx).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { skipUnless } from '../../src/test-support/databases.js';
import { CADDY, NGINX, docBlock, nginxMainConfig } from './reverse-proxy-docs.js';

const OPENSSL = ['/usr/bin/openssl'].find((p) => fs.existsSync(p));

const withoutLines = (text: string, pattern: RegExp) =>
  text
    .split('\n')
    .filter((line) => !pattern.test(line))
    .join('\n');

describe('docs/reverse-proxy.md: the https and loopback recipes are the same', () => {
  it('nginx: only the listen and certificate lines differ', () => {
    const https = withoutLines(docBlock('nginx https'), /^\s*(listen|ssl_certificate|ssl_certificate_key)\s/);
    const loopback = withoutLines(docBlock('nginx loopback'), /^\s*listen\s/);
    assert.equal(loopback, https);
  });

  it('Caddy: only the global options, the site addresses and bind differ', () => {
    const https = docBlock('caddy https');
    const loopback = withoutLines(docBlock('caddy loopback').replace(/^\{\n\tadmin off\n\}\n\n/, ''), /^\s*bind 127\.0\.0\.1$/).replace(
      /^http:\/\/([a-z.]+):8080 \{$/gm,
      '$1 {',
    );
    assert.equal(loopback, https);
  });

  it('Traefik: only the entry point and tls differ', () => {
    const https = docBlock('traefik https').replace(/\n\s+tls:\n\s+certResolver: letsencrypt/g, '');
    const loopback = docBlock('traefik loopback').replaceAll('entryPoints: [web]', 'entryPoints: [websecure]');
    assert.equal(loopback, https);
    for (const block of [docBlock('traefik https'), docBlock('traefik loopback')]) {
      // Every service and middleware a router names is defined.
      for (const [, name] of block.matchAll(/service: (\S+)/g)) assert.match(block, new RegExp(`\\n    ${name}:\\n      loadBalancer:`), `service ${name}`);
      for (const [, list] of block.matchAll(/middlewares: \[([^\]]+)\]/g)) {
        for (const name of list!.split(',').map((n) => n.trim()))
          assert.match(block, new RegExp(`\\n    ${name}:\\n      (forwardAuth|headers):`), `middleware ${name}`);
      }
    }
  });
});

describe('docs/reverse-proxy.md: the https recipes parse', () => {
  it('Caddy adapts the https Caddyfile', { skip: skipUnless(CADDY !== undefined, 'Caddy: not installed (apt-get install caddy)') }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-caddy-docs-'));
    try {
      fs.writeFileSync(path.join(dir, 'Caddyfile'), docBlock('caddy https'));
      const env = { PATH: process.env.PATH ?? '', HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir };
      const adapted = spawnSync(CADDY!, ['adapt', '--config', path.join(dir, 'Caddyfile')], { encoding: 'utf8', env });
      assert.equal(adapted.status, 0, adapted.stderr);
      const json = JSON.stringify(JSON.parse(adapted.stdout));
      assert.ok(json.includes('"uri":"/api/verify?role=admin"') && json.includes('"uri":"/api/verify?"'), 'the snippet arguments were applied');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('nginx -t accepts the https configuration', { skip: skipUnless(NGINX !== undefined && OPENSSL !== undefined, 'nginx or openssl: not installed') }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-nginx-docs-'));
    try {
      for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) fs.mkdirSync(path.join(dir, sub));
      const cert = path.join(dir, 'cert.pem');
      const key = path.join(dir, 'key.pem');
      const made = spawnSync(
        OPENSSL!,
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=example.com', '-keyout', key, '-out', cert],
        { encoding: 'utf8' },
      );
      assert.equal(made.status, 0, made.stderr);
      // The certificate paths point at the throwaway pair; port 443 becomes a free one (no root here).
      const site = docBlock('nginx https')
        .replace(/ssl_certificate\s+\S+;/g, `ssl_certificate ${cert};`)
        .replace(/ssl_certificate_key\s+\S+;/g, `ssl_certificate_key ${key};`)
        .replaceAll('listen 443 ssl;', 'listen 127.0.0.1:1 ssl;');
      fs.writeFileSync(path.join(dir, 'site.conf'), site);
      fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxMainConfig(dir, path.join(dir, 'site.conf')));
      const checked = spawnSync(NGINX!, ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { encoding: 'utf8' });
      assert.equal(checked.status, 0, checked.stderr);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
