// Who may go where behind a real nginx (auth_request with the page's error pages for 401 and 403),
// configured with the loopback block of docs/reverse-proxy.md; the story is in forward-auth-access.ts.
import { describeForwardAuthAccess } from './forward-auth-access.js';
import { nginxUnderTest } from './proxies-under-test.js';

describeForwardAuthAccess(nginxUnderTest);
