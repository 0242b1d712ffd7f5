import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allowedRedirect } from './redirect-target.js';

describe('redirect targets (?rd=)', () => {
  const https = new URL('https://login.example.com');
  const allow = ['app.example.com', '*.tools.example.com', '127.0.0.1:8080'];

  it('allows the platform itself and listed hosts', () => {
    assert.equal(allowedRedirect('https://login.example.com/account', https, allow), 'https://login.example.com/account');
    assert.equal(allowedRedirect('https://app.example.com/x?y=1', https, allow), 'https://app.example.com/x?y=1');
    assert.equal(allowedRedirect('https://grafana.tools.example.com/', https, allow), 'https://grafana.tools.example.com/');
    assert.equal(allowedRedirect('http://127.0.0.1:8080/guarded', new URL('http://127.0.0.1:3000'), allow), 'http://127.0.0.1:8080/guarded');
  });

  it('ignores everything else', () => {
    for (const rd of [
      'https://evil.example/',
      'https://app.example.com.evil.example/',
      'https://tools.example.com/', // the bare parent is not a sub-domain
      'https://eviltools.example.com/',
      'http://app.example.com/', // https platform: https only
      'javascript:alert(1)',
      '//evil.example/',
      '/relative',
      'https://user:pw@app.example.com/',
      'http://127.0.0.1:8081/',
      'not a url',
    ]) {
      assert.equal(allowedRedirect(rd, https, allow), null, rd);
    }
    assert.equal(allowedRedirect('http://127.0.0.1:8081/', new URL('http://127.0.0.1:3000'), allow), null);
  });
});
