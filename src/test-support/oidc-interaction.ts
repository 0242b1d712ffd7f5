// The OpenID Connect interaction driven through the API the way the React pages drive it: from an
// authorization URL, through sign-in (with the app code for a 2FA account), the re-authentication
// that prompt=login and max_age ask for, the second factor an application may require, and consent,
// until the application's callback. One copy for every OIDC test (it was written five times).
import assert from 'node:assert/strict';
import type { CookieBrowser } from './cookie-browser.js';
import { STRONG_PASSWORD } from './harness.js';

export interface InteractionPerson {
  email: string;
  /** A fresh app code for each use (2FA accounts). */
  code?: () => string;
  /** The answer at a consent step (default yes). */
  approve?: boolean;
}

export interface InteractionRun {
  /** Each interaction step met, in order (sign_in, reauthenticate, second_factor, consent, continue…). */
  steps: string[];
  /** The interaction details the page read at each step. */
  details: Record<string, unknown>[];
  /** The step-up answers at a reauthenticate step (for a 2FA account: the refused password alone, then the accepted one). */
  stepUps: number[];
  /** Where the application's callback was sent, or null when a step could not be passed. */
  callback: string | null;
  /** With `stopOnRefusal`: the continue that was refused, its error and interaction. */
  refused?: { status: number; error: string; uid: string };
}

export interface InteractionOptions {
  /** The Gatehouse address the pages call (a function: tests behind a moving proxy change it). */
  base: () => string;
  isCallback: (url: string) => boolean;
  /** Answer a refused continue in the run instead of failing the test. */
  stopOnRefusal?: boolean;
  rounds?: number;
}

export async function driveInteraction(browser: CookieBrowser, start: string, who: InteractionPerson, options: InteractionOptions): Promise<InteractionRun> {
  const { base, isCallback } = options;
  let answer = await browser.follow(start, isCallback);
  const run: InteractionRun = { steps: [], details: [], stepUps: [], callback: null };
  for (let round = 0; round < (options.rounds ?? 8) && !(answer.location && isCallback(answer.location)); round++) {
    const uid = /\/interaction\/([\w-]+)/.exec(answer.url)?.[1];
    assert.ok(uid, `an interaction page, got ${answer.url} ${answer.status} ${JSON.stringify(answer.body)}`);
    const details = await browser.get(`${base()}/api/oidc/interactions/${uid}`);
    assert.equal(details.status, 200, JSON.stringify(details.body));
    run.steps.push(details.body.step);
    run.details.push(details.body);
    switch (details.body.step) {
      case 'sign_in': {
        const signed = await browser.post(`${base()}/api/session`, { email: who.email, password: STRONG_PASSWORD });
        if (signed.body.status === 'second_factor_required')
          assert.equal((await browser.post(`${base()}/api/session/second-factor`, { code: who.code!() })).status, 200);
        else assert.equal(signed.body.status, 'authenticated', JSON.stringify(signed.body));
        break;
      }
      case 'reauthenticate': {
        // The cookie alone does not finish it.
        const early = await browser.post(`${base()}/api/oidc/interactions/${uid}/continue`, {});
        assert.equal(early.status, 403, JSON.stringify(early.body));
        assert.equal(early.body.error, 'reauthentication_required');
        if (details.body.twoFactorEnabled) {
          // The password alone is not enough for a 2FA account.
          run.stepUps.push((await browser.post(`${base()}/api/session/step-up`, { password: STRONG_PASSWORD })).status);
          run.stepUps.push((await browser.post(`${base()}/api/session/step-up`, { password: STRONG_PASSWORD, code: who.code!() })).status);
        } else {
          run.stepUps.push((await browser.post(`${base()}/api/session/step-up`, { password: STRONG_PASSWORD })).status);
        }
        break;
      }
      case 'second_factor':
        assert.equal((await browser.post(`${base()}/api/oidc/interactions/${uid}/second-factor`, { code: who.code!() })).status, 204);
        break;
      case 'consent':
      case 'continue': {
        const done = await browser.post(
          `${base()}/api/oidc/interactions/${uid}/continue`,
          details.body.step === 'consent' ? { approve: who.approve ?? true } : {},
        );
        if (done.status !== 200 && options.stopOnRefusal) {
          run.refused = { status: done.status, error: done.body.error as string, uid };
          return run;
        }
        assert.equal(done.status, 200, JSON.stringify(done.body));
        answer = await browser.follow(done.body.redirect, isCallback);
        break;
      }
      default:
        return run;
    }
  }
  run.callback = answer.location ?? null;
  return run;
}
