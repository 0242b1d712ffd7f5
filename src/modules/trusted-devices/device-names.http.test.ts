// "Your devices" (signed-in sessions) and "Trusted devices" (device cookies) name the same browser
// the same way, from one parser, and neither shows the raw User-Agent (issue 29). On both databases.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { describeOnEachDialect } from '../../test-support/dialect-suite.js';
import { STRONG_PASSWORD, seedUser, uniqueEmail } from '../../test-support/harness.js';

const BROWSERS: Array<[userAgent: string, browser: string | null, system: string | null]> = [
  ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.33 Safari/537.36', 'Chrome 131', 'Linux'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox 133', 'Windows'],
  ['something-else/1.0', null, null],
];

describeOnEachDialect('device names', (suite) => {
  const t = suite.app();

  it('both lists give the same browser and system for the same User-Agent', async () => {
    for (const [userAgent, browser, system] of BROWSERS) {
      const email = uniqueEmail('named');
      await seedUser(t.s, email);
      const c = t.client();
      const signedIn = await c.post('/api/session', { email, password: STRONG_PASSWORD }, { 'user-agent': userAgent });
      assert.equal(signedIn.body.status, 'authenticated');
      const sessions = (await c.get('/api/me/sessions')).body.sessions;
      assert.equal(sessions.length, 1);
      assert.deepEqual([sessions[0].browser, sessions[0].system], [browser, system], `Your devices: ${userAgent}`);
      const devices = (await c.get('/api/me/trusted-devices')).body.devices;
      assert.equal(devices.length, 1);
      assert.deepEqual([devices[0].browser, devices[0].system], [browser, system], `Trusted devices: ${userAgent}`);
      assert.equal(devices[0].label, userAgent, 'the label stays the header, for those who want it');
    }
  });
});
