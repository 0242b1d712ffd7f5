// The proxy configurations of docs/reverse-proxy.md, as the end-to-end tests run them: each block
// is taken from the page (after its `<!-- reverse-proxy-docs: … -->` marker) and only its example
// names and ports are changed. So a recipe that stops working fails a test, and the page cannot
// drift from what was tested.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));
export const CADDY = ['/usr/bin/caddy', '/usr/local/bin/caddy'].find((p) => fs.existsSync(p));

export const DOCS_PAGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'reverse-proxy.md');

/** The fenced block right after `<!-- reverse-proxy-docs: <label> -->`. */
export function docBlock(label: string): string {
  const text = fs.readFileSync(DOCS_PAGE, 'utf8');
  const marker = `<!-- reverse-proxy-docs: ${label} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`docs/reverse-proxy.md has no block marked "${label}"`);
  const block = /^\s*```[a-z-]*\n([\s\S]*?)\n```/.exec(text.slice(at + marker.length));
  if (!block) throw new Error(`the marker "${label}" in docs/reverse-proxy.md is not followed by a fenced block`);
  return `${block[1]!}\n`;
}

export interface LoopbackPorts {
  /** Where the proxy listens (8080 on the page). */
  proxy: number;
  /** Gatehouse (3000 on the page). */
  gatehouse: number;
  /** The guarded application (8081 on the page). */
  app: number;
}

/** The names the tests use: `*.gatehouse.test`, mapped to 127.0.0.1 in Chromium. */
export const TEST_DOMAIN = 'gatehouse.test';

/**
 * A block from the page with its example names and ports replaced, nothing else:
 * login.example.com → login.gatehouse.test (and so on, the cookie domain too), :3000/:8080/:8081
 * (and =3000) → the test's ports.
 */
export function onTestPorts(block: string, ports: LoopbackPorts): string {
  const byPort: Record<string, number> = { '3000': ports.gatehouse, '8080': ports.proxy, '8081': ports.app };
  const out = block.replaceAll('example.com', TEST_DOMAIN).replace(/(?<=[:=])(3000|8080|8081)\b/g, (p) => String(byPort[p]));
  if (/example\.com|[:=](3000|8080|8081)\b/.test(out)) throw new Error('an example name or port was left in the configuration');
  return out;
}

/** Gatehouse's settings for the loopback try-out (the `env loopback` block), on the test's ports. */
export function gatehouseEnv(ports: LoopbackPorts): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of onTestPorts(docBlock('env loopback'), ports).split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}

/** What the page leaves to nginx.conf around its block: no daemon, and every path inside `dir`. */
export function nginxMainConfig(dir: string, siteFile: string): string {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  include ${siteFile};
}
`;
}
