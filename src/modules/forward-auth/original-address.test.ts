// The pure parts of forward auth's redirect: trust, the original address, Accept, the rd round trip.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { acceptsHtml, originalAddress, redirectStatus, signInLocation, trustedProxyCheck } from './original-address.js';
import { headerSafe } from './identity-headers.js';

const raw = (headers: Record<string, string | string[]>): string[] =>
  Object.entries(headers).flatMap(([name, value]) => (Array.isArray(value) ? value.flatMap((v) => [name, v]) : [name, value]));

/** What a proxy forwards when the client sent UTF-8 bytes unencoded: Node reads them as latin1. */
const asHeaderBytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

describe('trusted proxies (GATEHOUSE_TRUST_PROXY)', () => {
  it('matches addresses and ranges, IPv4 also in its IPv6-mapped form, and nothing else', () => {
    const trusted = trustedProxyCheck(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8']);
    for (const address of ['127.0.0.1', '::ffff:127.0.0.1', '10.200.3.4', '::1', 'fd12::5']) assert.equal(trusted(address), true, address);
    for (const address of ['127.0.0.2', '11.0.0.1', '::2', 'fe80::1', undefined, 'not-an-ip']) assert.equal(trusted(address), false, String(address));
    assert.equal(trustedProxyCheck([])('127.0.0.1'), false, 'no list: nobody');
  });

  it('answers the same when asked again, also after more addresses than it keeps answers for', () => {
    const trusted = trustedProxyCheck(['10.0.0.0/8']);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 3000; i++) {
        const inside = `10.${(i >> 8) & 255}.${i & 255}.1`;
        const outside = `11.${(i >> 8) & 255}.${i & 255}.1`;
        assert.equal(trusted(inside), true, inside);
        assert.equal(trusted(outside), false, outside);
      }
    }
    assert.equal(trusted('not-an-ip'), false);
    assert.equal(trusted('not-an-ip'), false, 'a kept answer for a non-address is still no');
  });
});

describe('the original address', () => {
  it('takes X-Original-URL as it is, without normalising it', () => {
    const address = 'https://app.example.com:8443/a/%2F/b?x=1&y=2&q=caf%C3%A9&e=&plus=a+b#frag';
    assert.equal(originalAddress(raw({ 'X-Original-URL': address })), address);
  });

  it('puts X-Forwarded-Proto, -Host and -Uri together', () => {
    const headers = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com:8443', 'x-forwarded-uri': '/reports/today?x=1&y=2' };
    assert.equal(originalAddress(raw(headers)), 'https://app.example.com:8443/reports/today?x=1&y=2');
    assert.equal(originalAddress(raw({ ...headers, 'x-forwarded-host': '[::1]:8080' })), 'https://[::1]:8080/reports/today?x=1&y=2');
  });

  it('prefers X-Original-URL, and does not fall back when it is unusable', () => {
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'b.example.com', 'x-forwarded-uri': '/b' };
    assert.equal(originalAddress(raw({ 'x-original-url': 'https://a.example.com/a', ...forwarded })), 'https://a.example.com/a');
    assert.equal(originalAddress(raw({ 'x-original-url': '/relative', ...forwarded })), null);
  });

  it('reads unencoded UTF-8 as UTF-8, and percent-encodes bytes that are not UTF-8', () => {
    assert.equal(originalAddress(raw({ 'x-original-url': asHeaderBytes('https://app.example.com/café?q=日本') })), 'https://app.example.com/café?q=日本');
    assert.equal(originalAddress(raw({ 'x-original-url': 'https://app.example.com/caf\u00e9' })), 'https://app.example.com/caf%E9', 'a lone latin1 byte');
  });

  it('refuses what does not say an address', () => {
    const cases: Array<Record<string, string | string[]>> = [
      {},
      { 'x-original-url': 'javascript:alert(1)' },
      { 'x-original-url': 'ftp://app.example.com/' },
      { 'x-original-url': 'https:///no-host' },
      { 'x-original-url': 'https://app.example.com/a\u0000b' },
      { 'x-original-url': `https://app.example.com/${'a'.repeat(4096)}` },
      { 'x-original-url': ['https://a.example.com/', 'https://b.example.com/'] },
      { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com' },
      { 'x-forwarded-proto': 'gopher', 'x-forwarded-host': 'app.example.com', 'x-forwarded-uri': '/' },
      { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example/x?', 'x-forwarded-uri': '/' },
      { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'user@evil.example', 'x-forwarded-uri': '/' },
      { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com', 'x-forwarded-uri': 'relative' },
      { 'x-forwarded-proto': 'https', 'x-forwarded-host': ['a.example.com', 'b.example.com'], 'x-forwarded-uri': '/' },
    ];
    for (const headers of cases) {
      assert.equal(originalAddress(raw(headers)), null, JSON.stringify(headers));
    }
  });
});

describe('the sign-in address', () => {
  it('gives rd back byte for byte through URLSearchParams', () => {
    for (const address of [
      'https://app.example.com/reports/today?x=1&y=2&q=caf%C3%A9',
      'https://app.example.com/a%2Fb/c?next=%2Fx%3Fy%3D1&z=a+b&empty=&&#',
      'http://app.example.com:8080/café/日本?q=ü&emoji=😀',
      "https://app.example.com/!$'()*,;=:@~-._",
    ]) {
      const location = signInLocation(new URL('https://login.example.com'), address);
      const url = new URL(location);
      assert.equal(url.origin + url.pathname, 'https://login.example.com/sign-in');
      assert.deepEqual([...url.searchParams.keys()], ['rd'], 'one parameter, whatever the address holds');
      assert.equal(url.searchParams.get('rd'), address);
    }
  });

  it('takes HTML only when Accept says so', () => {
    assert.equal(acceptsHtml('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'), true);
    assert.equal(acceptsHtml('TEXT/HTML'), true);
    for (const accept of [undefined, '', '*/*', 'application/json', 'text/html;q=0', 'text/htmlx']) assert.equal(acceptsHtml(accept), false, String(accept));
  });

  it('answers 302 after GET and HEAD, 303 after anything else', () => {
    assert.equal(redirectStatus(undefined), 302);
    assert.equal(redirectStatus('GET'), 302);
    assert.equal(redirectStatus('head'), 302);
    assert.equal(redirectStatus('POST'), 303);
  });
});

describe('identity header values', () => {
  it('keeps printable ASCII, percent-encodes the rest and % itself, and decodes back exactly', () => {
    assert.equal(headerSafe('plain.user+tag@example.com'), 'plain.user+tag@example.com');
    assert.equal(headerSafe('a%41@example.com'), 'a%2541@example.com');
    assert.equal(headerSafe('josé@exämple.com'), 'jos%C3%A9@ex%C3%A4mple.com');
    assert.equal(headerSafe('用户@例子.中国'), '%E7%94%A8%E6%88%B7@%E4%BE%8B%E5%AD%90.%E4%B8%AD%E5%9B%BD');
    for (const email of ['a%41@example.com', 'josé@exämple.com', '𝒳😀@example.com', 'tab\tand\nnewline@x.com']) {
      const value = headerSafe(email);
      assert.match(value, /^[\x20-\x7e]*$/);
      assert.equal(decodeURIComponent(value), email);
    }
    assert.equal(headerSafe('\ud800@x.com'), '%EF%BF%BD@x.com', 'a lone surrogate does not throw');
  });
});
