// Forward auth behind a real nginx (Debian's, auth_request), configured with the loopback block of
// docs/reverse-proxy.md (only hosts and ports changed), started in the foreground by this test.
// The story itself is in forward-auth-scenario.ts; this file only knows how to run nginx.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { skipUnless } from '../../src/test-support/databases.js';
import { chromiumSkip } from '../../src/test-support/browser.js';
import { WEB_DIST } from '../../src/app.js';
import { describeForwardAuth } from './forward-auth-scenario.js';
import { NGINX, docBlock, nginxMainConfig, onTestPorts } from './reverse-proxy-docs.js';

describeForwardAuth({
  name: 'nginx',
  skip:
    skipUnless(NGINX !== undefined, 'nginx: not installed (apt-get install nginx)') ??
    chromiumSkip ??
    skipUnless(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web UI: web/dist is not built (npm run build)'),
  start(dir, ports) {
    for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
    const site = path.join(dir, 'gatehouse.conf');
    fs.writeFileSync(site, onTestPorts(docBlock('nginx loopback'), ports));
    fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxMainConfig(dir, site));
    return spawn(NGINX!, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  },
});
