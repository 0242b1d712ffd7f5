// The access decision as a pure function: which application a host names, which rule a path
// meets, and what the person's groups and session strength make of it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AccessSnapshot, normalizeRequestPath, orderRules, pathMatches, type ApplicationSnapshot, type Person, type RuleSnapshot } from './policy.js';
import { applicationHost, rulePath } from './access.validation.js';
import { strengthOf } from '../../core/session-strength.js';
import { AMR_PASSWORD, AMR_TWO_FACTOR, keyAmr } from '../../core/amr.js';

const rule = (path: string, over: Partial<RuleSnapshot> = {}): RuleSnapshot => ({
  id: path,
  path,
  effect: 'allow',
  anyone: true,
  groupIds: new Set(),
  userIds: new Set(),
  factors: 'password',
  ...over,
});
const app = (host: string, rules: RuleSnapshot[]): ApplicationSnapshot => ({ id: host, name: host, host, rules: orderRules(rules) });
const person = (over: Partial<Person> = {}): Person => ({ userId: 'u1', groupIds: new Set(), strength: 'password', hasSecondFactor: false, ...over });

describe('access policy', () => {
  it('picks the exact host before a wildcard, the longer wildcard first, a port-specific entry before a portless one', () => {
    const snapshot = new AccessSnapshot(
      [
        app('*.example.com', [rule('/')]),
        app('*.lab.example.com', [rule('/')]),
        app('wiki.example.com', [rule('/')]),
        app('wiki.example.com:8443', [rule('/')]),
      ],
      'deny',
    );
    const hostOf = (url: string) => snapshot.decide(new URL(url), person()).application?.host ?? null;
    assert.equal(hostOf('https://wiki.example.com/'), 'wiki.example.com');
    assert.equal(hostOf('https://wiki.example.com:8443/'), 'wiki.example.com:8443');
    assert.equal(hostOf('https://WIKI.Example.com/x'), 'wiki.example.com');
    assert.equal(hostOf('https://wiki.example.com./x'), 'wiki.example.com', 'the trailing dot of a fully qualified name');
    assert.equal(hostOf('https://photos.example.com/'), '*.example.com');
    assert.equal(hostOf('https://a.b.example.com/'), '*.example.com', 'a wildcard covers every depth');
    assert.equal(hostOf('https://printer.lab.example.com/'), '*.lab.example.com');
    assert.equal(hostOf('https://example.com/'), null, 'not the domain itself');
    assert.equal(hostOf('https://evilexample.com/'), null);
  });

  it('matches path prefixes by whole segments, most specific first, and sees through spellings', () => {
    const rules = [rule('/'), rule('/admin', { effect: 'deny' }), rule('/admin/help')];
    const snapshot = new AccessSnapshot([app('app.example.com', rules)], 'deny');
    const reason = (path: string) => snapshot.decide(new URL(`https://app.example.com${path}`), person()).reason;
    assert.equal(reason('/administrator'), 'allowed');
    assert.equal(reason('/admin'), 'rule_denies');
    assert.equal(reason('/admin/users'), 'rule_denies');
    assert.equal(reason('/admin;jsessionid=1'), 'rule_denies');
    assert.equal(reason('/admin/help/faq'), 'allowed');
    for (const spelling of ['/%61dmin', '//admin', '/x/../admin', '/./admin', '/%2561dmin', '/admin%2Fusers', '/public/%2e%2e/admin', '/x\\..\\admin']) {
      assert.equal(reason(spelling), 'rule_denies', spelling);
    }
    assert.equal(normalizeRequestPath('/caf%C3%A9/%E6%97%A5'), '/café/日');
    assert.equal(normalizeRequestPath('/bad%FFescape'), '/bad%FFescape', 'not UTF-8: left as it is');
    assert.equal(pathMatches('/', '/anything'), true);
  });

  it('lets in the listed groups and people with enough factors; steps up only what a code can prove', () => {
    const rules = [
      rule('/', { anyone: false, groupIds: new Set(['g-family']), userIds: new Set(['u-bob']) }),
      rule('/money', { factors: 'two_factors' }),
      rule('/keys', { factors: 'security_key' }),
    ];
    const snapshot = new AccessSnapshot([app('app.example.com', rules)], 'allow');
    const at = (path: string, who: Partial<Person>) => {
      const d = snapshot.decide(new URL(`https://app.example.com${path}`), person(who));
      return [d.outcome, d.reason];
    };
    assert.deepEqual(at('/', { groupIds: new Set(['g-family']) }), ['allow', 'allowed']);
    assert.deepEqual(at('/', { userId: 'u-bob' }), ['allow', 'allowed']);
    assert.deepEqual(at('/', {}), ['deny', 'not_listed']);
    assert.deepEqual(at('/money', { hasSecondFactor: true }), ['step_up', 'factors_too_weak']);
    assert.deepEqual(at('/money', { hasSecondFactor: false }), ['deny', 'factors_too_weak']);
    assert.deepEqual(at('/money', { strength: 'two_factors' }), ['allow', 'allowed']);
    assert.deepEqual(at('/money', { strength: 'security_key' }), ['allow', 'allowed'], 'a key is more than enough');
    assert.deepEqual(at('/keys', { strength: 'two_factors', hasSecondFactor: true }), ['deny', 'factors_too_weak'], 'a code proves nothing about a key');
    assert.deepEqual(at('/keys', { strength: 'security_key' }), ['allow', 'allowed']);
    assert.deepEqual(snapshot.decide(new URL('https://other.example.com/'), person()).reason, 'default_allow');
    assert.deepEqual(new AccessSnapshot([app('app.example.com', [])], 'allow').decide(new URL('https://app.example.com/'), person()).reason, 'no_rule');
  });

  it('reads the strength from the factors a session proved', () => {
    assert.equal(strengthOf(null), 'password');
    assert.equal(strengthOf(JSON.stringify(AMR_PASSWORD)), 'password');
    assert.equal(strengthOf(JSON.stringify(AMR_TWO_FACTOR)), 'two_factors');
    assert.equal(strengthOf(JSON.stringify(keyAmr(true, false))), 'security_key');
    assert.equal(strengthOf(JSON.stringify(keyAmr(false, true))), 'security_key');
  });

  it('normalizes hosts and paths as they are saved', () => {
    assert.equal(applicationHost(' Photos.Example.COM '), 'photos.example.com');
    assert.equal(applicationHost('*.example.com'), '*.example.com');
    assert.equal(applicationHost('app.example.com:08443'), 'app.example.com:8443');
    assert.equal(rulePath('/admin/'), '/admin');
    assert.equal(rulePath('//admin//users'), '/admin/users');
    assert.equal(rulePath('/'), '/');
    for (const bad of ['*.com', 'a.*.example.com', '-a.example.com', 'exa mple.com', 'app.example.com/x', '']) {
      assert.throws(() => applicationHost(bad), /is not a host/, bad);
    }
  });
});
