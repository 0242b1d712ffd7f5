// The real proxies the forward-auth tests run (Debian's nginx and Caddy), each started in the
// foreground by the test with the loopback configuration of docs/reverse-proxy.md, its example
// names and ports changed and nothing else (or, for a test about several hosts, the guarded
// server answering for those hosts too), every file it writes inside the test's folder.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { type ChildProcess, spawn } from 'node:child_process';
import { skipUnless } from '../../src/test-support/databases.js';
import { chromiumSkip } from '../../src/test-support/browser.js';
import { WEB_DIST } from '../../src/app.js';
import { CADDY, NGINX, TEST_DOMAIN, docBlock, nginxMainConfig, onTestPorts, type LoopbackPorts } from './reverse-proxy-docs.js';

export interface ProxyUnderTest {
  name: string;
  skip: string | undefined;
  /**
   * Starts the proxy in the foreground with the page's loopback configuration on these ports;
   * `edit` changes the page's block first (it still has the page's example names and ports).
   */
  start(dir: string, ports: LoopbackPorts, edit?: (block: string) => string): ChildProcess;
  /** Edits the page's block so that its guarded server answers for these hosts (example names, like `photos.example.com`) instead of `app.example.com`. */
  guardHosts(block: string, hosts: readonly string[]): string;
}

const webUiSkip = () => skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)');

function replaceOnce(text: string, from: string, to: string): string {
  if (text.split(from).length !== 2) throw new Error(`the configuration does not have "${from}" exactly once`);
  return text.replace(from, to);
}

export const nginxUnderTest: ProxyUnderTest = {
  name: 'nginx',
  skip: skipUnless(NGINX !== undefined, 'nginx: not installed (apt-get install nginx)') ?? chromiumSkip ?? webUiSkip(),
  start(dir, ports, edit = (block) => block) {
    for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
    const site = path.join(dir, 'gatehouse.conf');
    fs.writeFileSync(site, onTestPorts(edit(docBlock('nginx loopback')), ports));
    fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxMainConfig(dir, site));
    return spawn(NGINX!, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  },
  guardHosts: (block, hosts) => replaceOnce(block, 'server_name app.example.com;', `server_name ${hosts.join(' ')};`),
};

export const caddyUnderTest: ProxyUnderTest = {
  name: 'Caddy',
  skip: skipUnless(CADDY !== undefined, 'Caddy: not installed (apt-get install caddy)') ?? chromiumSkip ?? webUiSkip(),
  start(dir, ports, edit = (block) => block) {
    const caddyfile = path.join(dir, 'Caddyfile');
    fs.writeFileSync(caddyfile, onTestPorts(edit(docBlock('caddy loopback')), ports));
    return spawn(CADDY!, ['run', '--config', caddyfile, '--adapter', 'caddyfile'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: dir, XDG_DATA_HOME: path.join(dir, 'data'), XDG_CONFIG_HOME: path.join(dir, 'config') },
    });
  },
  guardHosts: (block, hosts) => replaceOnce(block, 'http://app.example.com:8080 {', `${hosts.map((h) => `http://${h}:8080`).join(', ')} {`),
};

export interface RunningProxy {
  output(): string;
  stop(): Promise<void>;
}

/** Starts the proxy and waits until it passes Gatehouse's /healthz through on the login host. */
export async function runProxy(proxy: ProxyUnderTest, dir: string, ports: LoopbackPorts, edit?: (block: string) => string): Promise<RunningProxy> {
  const child = proxy.start(dir, ports, edit);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const running: RunningProxy = {
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
  const healthy = () =>
    new Promise<boolean>((resolve) => {
      const request = http.get({ host: '127.0.0.1', port: ports.proxy, path: '/healthz', headers: { host: `login.${TEST_DOMAIN}:${ports.proxy}` } }, (r) => {
        r.resume();
        resolve(r.statusCode === 200);
      });
      request.on('error', () => resolve(false));
    });
  for (let i = 0; !(await healthy()); i++) {
    if (child.exitCode !== null) throw new Error(`${proxy.name} exited with ${child.exitCode}:\n${output}`);
    if (i > 100) {
      await running.stop();
      throw new Error(`${proxy.name} did not answer:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return running;
}
