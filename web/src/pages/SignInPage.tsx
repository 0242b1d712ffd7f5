// Sign-in: email and password, then (for 2FA accounts) the security key, the app code or a backup
// code; or a passkey alone (Sign in with a passkey); or another provider (issue 34), whose round
// trip comes back here with ?upstream_error= (refused), ?upstream_link=1 (prove the account of that
// email first) or ?upstream_step=second_factor (the same second step as after a password). This
// page holds what the steps share (the email, the pending factors, the lock, one error for the
// password and code steps); each step's view is in sign-in/.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { startAuthentication, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import type { RegistrationPolicy, SecondFactorAnswer, SignInAnswer, TwoFactorKind } from '../../../src/shared/api-types';
import { api, ApiError } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { Link } from '../components/Link';
import { useAction, useFormSubmit } from '../use-form-submit';
import { useLoad } from '../use-load';
import { normalizeCode } from '../codes';
import { sitePath, upstreamErrorMessage } from '../upstream-text';
import { BackupNotice } from './sign-in/BackupNotice';
import { CodeStep } from './sign-in/CodeStep';
import { KeyStep } from './sign-in/KeyStep';
import { LinkStep } from './sign-in/LinkStep';
import { PasswordStep } from './sign-in/PasswordStep';
import { ProviderButtons } from './sign-in/ProviderButtons';
import { useLock } from './sign-in/use-lock';

/** `pending`: the page opened at a provider's second step, its factors not known yet. */
type Step = 'password' | 'key' | 'code' | 'backup-notice' | 'link' | 'pending';

/** What the provider's round trip asks of this page, from its address (read once, when it opens). */
function upstreamOf(search: string) {
  const query = new URLSearchParams(search);
  const step: Step = query.get('upstream_link') === '1' ? 'link' : query.get('upstream_step') === 'second_factor' ? 'pending' : 'password';
  // Where the provider's sign-in goes once its second step is done (a path on this site only).
  return { error: query.get('upstream_error'), step, returnTo: step === 'pending' ? sitePath(query.get('returnTo')) : null };
}

/** A WebAuthn sign-in: the options from `base`/options, the browser's dialog, the answer to `base`/verify. */
async function keyCeremony(base: string): Promise<SecondFactorAnswer> {
  const optionsJSON = await api<PublicKeyCredentialRequestOptionsJSON>('POST', `${base}/options`);
  const response = await startAuthentication({ optionsJSON });
  return api<SecondFactorAnswer>('POST', `${base}/verify`, { response });
}

export function SignInPage({ onSignedIn, initialEmail = '' }: { onSignedIn: () => Promise<void>; initialEmail?: string }) {
  const { t } = useTranslation();
  const [upstream] = useState(() => upstreamOf(window.location.search));
  const [step, setStep] = useState<Step>(upstream.step);
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

  /** Signed in: a provider's sign-in may name where it goes next; otherwise the shell decides (?rd=, the client area). */
  const signedIn = async () => {
    if (upstream.returnTo) window.location.assign(upstream.returnTo);
    else await onSignedIn();
  };

  /** The second step of a pending sign-in: with a security key the key comes first; the app and backup codes are the alternatives. */
  const secondStep = async () => {
    const { methods: factors } = await api<{ methods: TwoFactorKind[] }>('GET', '/api/session/second-factor/methods');
    setMethods(factors);
    setStep(factors.includes('webauthn') ? 'key' : 'code');
  };

  const submitPassword = async () => {
    const result = await api<SignInAnswer>('POST', '/api/session', { email, password });
    setPassword('');
    if (result.status === 'second_factor_required') await secondStep();
    else await onSignedIn();
  };

  const submitCode = async () => {
    const result = await api<SecondFactorAnswer>('POST', '/api/session/second-factor', { code: normalizeCode(code) });
    if (result.method === 'backup_code') {
      setBackupLeft(result.backupCodesLeft ?? 0);
      setStep('backup-notice');
    } else await signedIn();
  };

  // Back from the provider with a pending sign-in: its factors, as after a password. A sign-in no
  // longer pending (this address opened again later) shows the password step with the reason.
  const pendingStep = useAction();
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, when the page opens at the provider's second step
  useEffect(() => {
    if (upstream.step === 'pending')
      void pendingStep.run(async () => {
        try {
          await secondStep();
        } catch (e) {
          setStep('password');
          throw e;
        }
      });
  }, []);

  // One submit (and one error) for both steps: a code refused for want of a pending sign-in sends
  // the user back to the password step, and the reason must still show there.
  const { submit, error, busy, reset } = useFormSubmit(async () => {
    pendingStep.reset();
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
      await signedIn();
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
  const alert = <ErrorAlert error={error ?? pendingStep.error} lockedUntil={lock.until} whenLocked={forgotLink} />;
  const keyAlert = <ErrorAlert error={keyAction.error} lockedUntil={lock.until} whenLocked={forgotLink} />;

  switch (step) {
    case 'link':
      return <LinkStep />;
    case 'pending':
      return null;
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
      return <BackupNotice left={backupLeft} onContinue={() => void signedIn()} />;
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
          upstreamError={upstream.error === null ? null : upstreamErrorMessage(t, upstream.error)}
          providers={<ProviderButtons />}
        />
      );
  }
}
