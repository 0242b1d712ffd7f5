// Forward auth behind a real Caddy (Debian's 2.6, forward_auth), configured with the loopback
// Caddyfile of docs/reverse-proxy.md (only hosts and ports changed; its global options turn the
// admin endpoint off), started in the foreground by this test, never through systemd. Caddy's
// home, data and config folders point into the test's folder.
// The story itself is in forward-auth-scenario.ts; this file only knows how to run Caddy.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { skipUnless } from '../../src/test-support/databases.js';
import { chromiumSkip } from '../../src/test-support/browser.js';
import { WEB_DIST } from '../../src/app.js';
import { describeForwardAuth } from './forward-auth-scenario.js';
import { CADDY, docBlock, onTestPorts } from './reverse-proxy-docs.js';

describeForwardAuth({
  name: 'Caddy',
  skip:
    skipUnless(CADDY !== undefined, 'Caddy: not installed (apt-get install caddy)') ??
    chromiumSkip ??
    skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)'),
  start(dir, ports) {
    const caddyfile = path.join(dir, 'Caddyfile');
    fs.writeFileSync(caddyfile, onTestPorts(docBlock('caddy loopback'), ports));
    return spawn(CADDY!, ['run', '--config', caddyfile, '--adapter', 'caddyfile'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: dir, XDG_DATA_HOME: path.join(dir, 'data'), XDG_CONFIG_HOME: path.join(dir, 'config') },
    });
  },
});
