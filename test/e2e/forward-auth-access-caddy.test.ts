// Who may go where behind a real Caddy (forward_auth relaying Gatehouse's redirects and 403 page),
// configured with the loopback Caddyfile of docs/reverse-proxy.md; the story is in forward-auth-access.ts.
import { describeForwardAuthAccess } from './forward-auth-access.js';
import { caddyUnderTest } from './proxies-under-test.js';

describeForwardAuthAccess(caddyUnderTest);
