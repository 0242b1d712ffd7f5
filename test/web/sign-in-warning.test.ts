// The "since your last sign-in" warning says only what happened, with real plurals in both
// languages (issue 29): never "the account was locked 0 time(s)" nor "vez/veces".
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import i18next from 'i18next';
import { signInWarningText } from '../../web/src/sign-in-warning-text.js';

const load = (lang: string) => JSON.parse(fs.readFileSync(new URL(`../../web/src/locales/${lang}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;

async function translator(lng: 'en' | 'es') {
  const i18n = i18next.createInstance();
  await i18n.init({ lng, resources: { [lng]: { translation: load(lng) } }, interpolation: { escapeValue: false } });
  return i18n.t;
}

const when = { date: 'DATE', address: '203.0.113.9' };
const warning = (failedCodeAttempts: number, locks: number) => ({ failedCodeAttempts, locks, lastAt: '2026-12-07T10:00:00.000Z', lastAddress: '203.0.113.9' });

describe('the sign-in warning sentence', () => {
  it('in English: codes only, locks only, one of each, several of each', async () => {
    const t = await translator('en');
    const start = 'Since your last sign-in, someone entered the right password: ';
    const end = ', most recently on DATE from 203.0.113.9. Change your password.';
    assert.equal(signInWarningText(t, warning(1, 0), when), `${start}1 wrong code was tried${end}`);
    assert.equal(signInWarningText(t, warning(4, 0), when), `${start}4 wrong codes were tried${end}`);
    assert.equal(signInWarningText(t, warning(0, 1), when), `${start}the account was locked once${end}`);
    assert.equal(signInWarningText(t, warning(1, 1), when), `${start}1 wrong code was tried and the account was locked once${end}`);
    assert.equal(signInWarningText(t, warning(6, 2), when), `${start}6 wrong codes were tried and the account was locked 2 times${end}`);
  });

  it('in Spanish (tú): the same cases', async () => {
    const t = await translator('es');
    const start = 'Desde tu último inicio de sesión, alguien introdujo la contraseña correcta: ';
    const end = ', la última vez el DATE desde 203.0.113.9. Cambia tu contraseña.';
    assert.equal(signInWarningText(t, warning(1, 0), when), `${start}se probó 1 código incorrecto${end}`);
    assert.equal(signInWarningText(t, warning(4, 0), when), `${start}se probaron 4 códigos incorrectos${end}`);
    assert.equal(signInWarningText(t, warning(0, 1), when), `${start}la cuenta se bloqueó una vez${end}`);
    assert.equal(signInWarningText(t, warning(6, 2), when), `${start}se probaron 6 códigos incorrectos y la cuenta se bloqueó 2 veces${end}`);
  });
});
