// Every API error code has a message in English and Spanish (errors.<code>), every audit event
// kind a name and a sentence, and both languages have the same keys: a code added to src/http/errors.ts without its translations fails here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { ERRORS } from '../../src/http/errors.js';
import { AUDIT_KINDS } from '../../web/src/audit-text.js';

const load = (lang: string) => JSON.parse(fs.readFileSync(new URL(`../../web/src/locales/${lang}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
const keys = (o: Record<string, unknown>, prefix = ''): string[] =>
  Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' && v !== null ? keys(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`]));

describe('web UI translations', () => {
  for (const lang of ['en', 'es']) {
    it(`translates every API error code in ${lang}`, () => {
      const errors = load(lang).errors as Record<string, unknown>;
      const missing = Object.keys(ERRORS).filter((code) => typeof errors[code] !== 'string' || !(errors[code] as string).trim());
      assert.deepEqual(missing, [], `errors.<code> missing in ${lang}.json`);
    });
  }

  for (const lang of ['en', 'es']) {
    it(`has a name and a sentence for every audit event kind in ${lang}`, () => {
      const kinds = (load(lang).audit as { kinds: Record<string, { name?: string; self?: string }> }).kinds;
      const missing = AUDIT_KINDS.filter((kind) => {
        const entry = kinds[kind.replace(/\./g, '_')];
        return !entry?.name || !entry.self;
      });
      assert.deepEqual(missing, [], `audit.kinds.<kind> missing in ${lang}.json`);
    });
  }

  it('has the same keys in English and Spanish', () => {
    const en = new Set(keys(load('en')));
    const es = new Set(keys(load('es')));
    assert.deepEqual(
      [...en].filter((k) => !es.has(k)),
      [],
      'in en.json only',
    );
    assert.deepEqual(
      [...es].filter((k) => !en.has(k)),
      [],
      'in es.json only',
    );
  });
});
