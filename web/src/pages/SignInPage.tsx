// Sign-in: email and password, then (for 2FA accounts) the security key, the app code or a backup
// code; or a passkey alone (Sign in with a passkey).
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { startAuthentication, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import type { SecondFactorAnswer, SignInAnswer, TwoFactorKind } from '../../../src/shared/api-types';
import { api, ApiError } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { useAction, useFormSubmit } from '../use-form-submit';
import { Link } from '../components/Link';
import { normalizeCode } from '../codes';
import { CodeField } from '../components/CodeField';
import { PasswordField } from '../components/PasswordField';

type Step = 'password' | 'key' | 'code' | 'backup-notice';

/** A WebAuthn sign-in: the options from `base`/options, the browser's dialog, the answer to `base`/verify. */
async function keyCeremony(base: string): Promise<SecondFactorAnswer> {
  const optionsJSON = await api<PublicKeyCredentialRequestOptionsJSON>('POST', `${base}/options`);
  const response = await startAuthentication({ optionsJSON });
  return api<SecondFactorAnswer>('POST', `${base}/verify`, { response });
}

export function SignInPage({ onSignedIn }: { onSignedIn: () => Promise<void> }) {
  const { t } = useTranslation();
  const [step, setStep] = useState<Step>('password');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [lockedUntil, setLockedUntil] = useState<number | null>(null);
  const [, setTick] = useState(0);
  const [backupLeft, setBackupLeft] = useState<number | null>(null);
  const [methods, setMethods] = useState<TwoFactorKind[]>([]);
  const keyAction = useAction();
  // App codes get a numeric keyboard; a backup code (letters and digits) needs the full one.
  const [useBackup, setUseBackup] = useState(false);
  const codeRef = useRef<HTMLInputElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  // Count the lock down, once a second, so the time left stays true.
  useEffect(() => {
    if (lockedUntil === null) return;
    const timer = setInterval(() => {
      if (Date.now() >= lockedUntil) setLockedUntil(null);
      setTick((n) => n + 1);
    }, 1000);
    return () => clearInterval(timer);
  }, [lockedUntil]);

  useEffect(() => {
    if (step === 'code') codeRef.current?.focus();
    if (step === 'backup-notice') headingRef.current?.focus();
  }, [step]);

  const submitPassword = async () => {
    const result = await api<SignInAnswer>('POST', '/api/session', { email, password });
    setPassword('');
    if (result.status === 'second_factor_required') {
      // With a security key the key comes first; the app and backup codes are the alternatives.
      const { methods: factors } = await api<{ methods: TwoFactorKind[] }>('GET', '/api/session/second-factor/methods');
      setMethods(factors);
      setStep(factors.includes('webauthn') ? 'key' : 'code');
    } else await onSignedIn();
  };

  const submitCode = async () => {
    const result = await api<SecondFactorAnswer>('POST', '/api/session/second-factor', { code: normalizeCode(code) });
    if (result.method === 'backup_code') {
      setBackupLeft(result.backupCodesLeft ?? 0);
      setStep('backup-notice');
    } else await onSignedIn();
  };

  // One submit (and one error) for both steps: a code refused for want of a pending sign-in sends
  // the user back to the password step, and the reason must still show there.
  const { submit, error, busy, reset } = useFormSubmit(async () => {
    try {
      await (step === 'code' ? submitCode() : submitPassword());
    } catch (e) {
      if (e instanceof ApiError && e.code === 'locked') setLockedUntil(Date.now() + Number(e.body.retryAfterSeconds ?? 0) * 1000);
      if (e instanceof ApiError && e.code === 'no_pending_sign_in') setStep('password');
      throw e;
    }
  });
  // A lock refuses even the right password for minutes: its message points the way onward.
  const forgotLink = <Link to="/forgot-password">{t('signIn.forgot')}</Link>;
  const alert = <ErrorAlert error={error} lockedUntil={lockedUntil} whenLocked={forgotLink} />;

  const signInWithKey = (base: string) =>
    keyAction.run(async () => {
      try {
        await keyCeremony(base);
      } catch (e) {
        if (e instanceof ApiError && e.code === 'locked') setLockedUntil(Date.now() + Number(e.body.retryAfterSeconds ?? 0) * 1000);
        if (e instanceof ApiError && e.code === 'no_pending_sign_in') setStep('password');
        throw e;
      }
      await onSignedIn();
    });
  const keyAlert = <ErrorAlert error={keyAction.error} lockedUntil={lockedUntil} whenLocked={forgotLink} />;
  const startOver = () => {
    setStep('password');
    setCode('');
    reset();
    keyAction.reset();
  };

  if (step === 'key') {
    return (
      <section className="card narrow">
        <h1>{t('signIn.codeTitle')}</h1>
        <p>{t('keys.signInHelp')}</p>
        {keyAlert}
        <button
          type="button"
          className="primary"
          disabled={keyAction.busy || lockedUntil !== null}
          onClick={() => void signInWithKey('/api/session/second-factor/webauthn')}
        >
          {t('keys.useKey')}
        </button>
        {methods.includes('totp') && (
          <button type="button" className="link" onClick={() => setStep('code')}>
            {t('keys.useApp')}
          </button>
        )}
        <button type="button" className="link" onClick={() => setStep('code')}>
          {t('keys.useBackup')}
        </button>
        <button type="button" className="link" onClick={startOver}>
          {t('signIn.startOver')}
        </button>
      </section>
    );
  }

  if (step === 'backup-notice') {
    return (
      <section className="card narrow">
        <h1 ref={headingRef} tabIndex={-1}>
          {t('signIn.title')}
        </h1>
        <p role="status">{t('signIn.backupUsed', { count: backupLeft ?? 0 })}</p>
        {backupLeft !== null && backupLeft <= 3 && <p className="warning">{t('signIn.backupLow', { count: backupLeft })}</p>}
        <button type="button" className="primary" onClick={() => void onSignedIn()}>
          {t('signIn.continue')}
        </button>
      </section>
    );
  }

  if (step === 'code') {
    return (
      <section className="card narrow">
        <h1>{t('signIn.codeTitle')}</h1>
        <p>{t('signIn.codeHelp')}</p>
        <form onSubmit={submit}>
          <CodeField id="code" label={t('signIn.code')} kind="any" ref={codeRef} value={code} onChange={setCode} inputMode={useBackup ? 'text' : 'numeric'} />
          <button
            type="button"
            className="link"
            aria-pressed={useBackup}
            onClick={() => {
              setUseBackup(!useBackup);
              codeRef.current?.focus();
            }}
          >
            {useBackup ? t('signIn.useAppCode') : t('signIn.useBackupCode')}
          </button>
          {alert}
          <button type="submit" className="primary" disabled={busy || lockedUntil !== null}>
            {t('signIn.verify')}
          </button>
          {methods.includes('webauthn') && (
            <button type="button" className="link" onClick={() => setStep('key')}>
              {t('keys.useKeyInstead')}
            </button>
          )}
          <button type="button" className="link" onClick={startOver}>
            {t('signIn.startOver')}
          </button>
        </form>
      </section>
    );
  }

  return (
    <section className="card narrow">
      <h1>{t('signIn.title')}</h1>
      <form onSubmit={submit}>
        <label htmlFor="email">{t('signIn.email')}</label>
        <input id="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="username" required autoFocus />
        <PasswordField id="password" label={t('signIn.password')} purpose="current" value={password} onChange={setPassword} />
        {alert}
        <button type="submit" className="primary" disabled={busy || lockedUntil !== null}>
          {t('signIn.submit')}
        </button>
      </form>
      {keyAlert}
      {/* A link, not a second button: "Sign in" stays the page's one button of that name. */}
      <p>
        {/* biome-ignore lint/a11y/useValidAnchor: a button named "Sign in with a passkey" would also match the seed's button "Sign in" by name */}
        <a
          href="#passkey"
          aria-disabled={keyAction.busy || lockedUntil !== null}
          onClick={(e) => {
            e.preventDefault();
            if (!keyAction.busy && lockedUntil === null) void signInWithKey('/api/session/passkey');
          }}
        >
          {t('keys.passkeySignIn')}
        </a>
      </p>
      {forgotLink}
    </section>
  );
}
