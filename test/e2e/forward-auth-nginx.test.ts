// Forward auth behind a real nginx (Debian's, auth_request), configured with the loopback block of
// docs/reverse-proxy.md (only hosts and ports changed), started in the foreground by this test.
// The story itself is in forward-auth-scenario.ts; how to run nginx, in proxies-under-test.ts.
import { describeForwardAuth } from './forward-auth-scenario.js';
import { nginxUnderTest } from './proxies-under-test.js';

describeForwardAuth(nginxUnderTest);
