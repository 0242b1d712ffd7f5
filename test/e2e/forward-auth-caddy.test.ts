// Forward auth behind a real Caddy (Debian's 2.6, forward_auth), configured with the loopback
// Caddyfile of docs/reverse-proxy.md (only hosts and ports changed; its global options turn the
// admin endpoint off), started in the foreground by this test, never through systemd. Caddy's
// home, data and config folders point into the test's folder.
// The story itself is in forward-auth-scenario.ts; how to run Caddy, in proxies-under-test.ts.
import { describeForwardAuth } from './forward-auth-scenario.js';
import { caddyUnderTest } from './proxies-under-test.js';

describeForwardAuth(caddyUnderTest);
