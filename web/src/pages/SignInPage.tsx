// Sign-in: email and password, then (for 2FA accounts) the app code or a backup code.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, type User } from '../api';
import { errorMessage } from '../errors';

type Step = 'password' | 'code' | 'backup-notice';

export function SignInPage({ onSignedIn }: { onSignedIn: () => Promise<void> }) {
  const { t } = useTranslation();
  const [step, setStep] = useState<Step>('password');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [lockedUntil, setLockedUntil] = useState<number | null>(null);
  const [, setTick] = useState(0);
  const [busy, setBusy] = useState(false);
  const [backupLeft, setBackupLeft] = useState<number | null>(null);
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

  const fail = (e: unknown) => {
    setError(e);
    if (e instanceof ApiError && e.code === 'locked') setLockedUntil(Date.now() + Number(e.body.retryAfterSeconds ?? 0) * 1000);
    if (e instanceof ApiError && e.code === 'no_pending_sign_in') setStep('password');
  };

  const submitPassword = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await api<{ status: string; user?: User }>('POST', '/api/session', { email, password });
      setPassword('');
      if (result.status === 'second_factor_required') setStep('code');
      else await onSignedIn();
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  };

  const submitCode = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await api<{ method: string; backupCodesLeft?: number }>('POST', '/api/session/second-factor', { code });
      if (result.method === 'backup_code') {
        setBackupLeft(result.backupCodesLeft ?? 0);
        setStep('backup-notice');
      } else await onSignedIn();
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  };

  const message = error ? (lockedUntil !== null ? t('errors.locked', { time: remaining(t, lockedUntil) }) : errorMessage(t, error)) : null;
  const alert = message && (
    <p role="alert" className="error">
      {message}
    </p>
  );

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
        <form onSubmit={submitCode}>
          <label htmlFor="code">{t('signIn.code')}</label>
          <input id="code" ref={codeRef} value={code} onChange={(e) => setCode(e.target.value)} autoComplete="one-time-code" inputMode="text" required maxLength={40} />
          {alert}
          <button type="submit" className="primary" disabled={busy || lockedUntil !== null}>
            {t('signIn.verify')}
          </button>
          <button
            type="button"
            className="link"
            onClick={() => {
              setStep('password');
              setCode('');
              setError(null);
            }}
          >
            {t('signIn.startOver')}
          </button>
        </form>
      </section>
    );
  }

  return (
    <section className="card narrow">
      <h1>{t('signIn.title')}</h1>
      <form onSubmit={submitPassword}>
        <label htmlFor="email">{t('signIn.email')}</label>
        <input id="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="username" required autoFocus />
        <label htmlFor="password">{t('signIn.password')}</label>
        <input id="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required maxLength={256} />
        {alert}
        <button type="submit" className="primary" disabled={busy || lockedUntil !== null}>
          {t('signIn.submit')}
        </button>
      </form>
    </section>
  );
}

function remaining(t: ReturnType<typeof useTranslation>['t'], until: number): string {
  const s = Math.max(0, Math.ceil((until - Date.now()) / 1000));
  return s >= 60 ? t('time.minutes', { m: Math.floor(s / 60), s: s % 60 }) : t('time.seconds', { s });
}
