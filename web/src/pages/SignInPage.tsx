// Sign-in: email and password, then (for 2FA accounts) the security key, the app code or a backup
// code; or a passkey alone (Sign in with a passkey). This page holds what the steps share (the
// email, the pending factors, the lock, one error for the password and code steps); each step's
// view is in sign-in/.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { startAuthentication, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import type { RegistrationPolicy, SecondFactorAnswer, SignInAnswer, TwoFactorKind } from '../../../src/shared/api-types';
import { api, ApiError } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { Link } from '../components/Link';
import { useAction, useFormSubmit } from '../use-form-submit';
import { useLoad } from '../use-load';
import { normalizeCode } from '../codes';
import { BackupNotice } from './sign-in/BackupNotice';
import { CodeStep } from './sign-in/CodeStep';
import { KeyStep } from './sign-in/KeyStep';
import { PasswordStep } from './sign-in/PasswordStep';
import { useLock } from './sign-in/use-lock';

type Step = 'password' | 'key' | 'code' | 'backup-notice';

/** A WebAuthn sign-in: the options from `base`/options, the browser's dialog, the answer to `base`/verify. */
async function keyCeremony(base: string): Promise<SecondFactorAnswer> {
  const optionsJSON = await api<PublicKeyCredentialRequestOptionsJSON>('POST', `${base}/options`);
  const response = await startAuthentication({ optionsJSON });
  return api<SecondFactorAnswer>('POST', `${base}/verify`, { response });
}

export function SignInPage({ onSignedIn, initialEmail = '' }: { onSignedIn: () => Promise<void>; initialEmail?: string }) {
  const { t } = useTranslation();
  const [step, setStep] = useState<Step>('password');
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [backupLeft, setBackupLeft] = useState(0);
  const [methods, setMethods] = useState<TwoFactorKind[]>([]);
  const lock = useLock();
  const keyAction = useAction();

  /** A refusal: a lock is counted down; a sign-in no longer pending goes back to the password. */
  const refused = (e: unknown) => {
    lock.note(e);
    if (e instanceof ApiError && e.code === 'no_pending_sign_in') setStep('password');
  };

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
      refused(e);
      throw e;
    }
  });

  const signInWithKey = (base: string) =>
    keyAction.run(async () => {
      try {
        await keyCeremony(base);
      } catch (e) {
        refused(e);
        throw e;
      }
      await onSignedIn();
    });

  const startOver = () => {
    setStep('password');
    setCode('');
    reset();
    keyAction.reset();
  };

  // A lock refuses even the right password for minutes: its message points the way onward.
  const forgotLink = <Link to="/forgot-password">{t('signIn.forgot')}</Link>;
  // "Create an account" only where an administrator opened registration (Authentication settings).
  const registration = useLoad(() => api<RegistrationPolicy>('GET', '/api/registration'));
  const registerLink = registration.data && registration.data.registration !== 'off' && (
    <p>
      <Link to="/register">{t('signIn.register')}</Link>
    </p>
  );
  const alert = <ErrorAlert error={error} lockedUntil={lock.until} whenLocked={forgotLink} />;
  const keyAlert = <ErrorAlert error={keyAction.error} lockedUntil={lock.until} whenLocked={forgotLink} />;

  switch (step) {
    case 'key':
      return (
        <KeyStep
          alert={keyAlert}
          disabled={keyAction.busy || lock.locked}
          onUseKey={() => void signInWithKey('/api/session/second-factor/webauthn')}
          hasApp={methods.includes('totp')}
          onUseCode={() => setStep('code')}
          onStartOver={startOver}
        />
      );
    case 'backup-notice':
      return <BackupNotice left={backupLeft} onContinue={() => void onSignedIn()} />;
    case 'code':
      return (
        <CodeStep
          code={code}
          onCode={setCode}
          onSubmit={submit}
          disabled={busy || lock.locked}
          alert={alert}
          onUseKey={methods.includes('webauthn') ? () => setStep('key') : null}
          onStartOver={startOver}
        />
      );
    default:
      return (
        <PasswordStep
          email={email}
          onEmail={setEmail}
          password={password}
          onPassword={setPassword}
          onSubmit={submit}
          disabled={busy || lock.locked}
          alert={alert}
          keyAlert={keyAlert}
          keyDisabled={keyAction.busy || lock.locked}
          onPasskey={() => void signInWithKey('/api/session/passkey')}
          forgotLink={
            <>
              {forgotLink}
              {registerLink}
            </>
          }
        />
      );
  }
}
