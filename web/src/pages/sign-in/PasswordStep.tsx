// Sign-in, first step: email and password; or a passkey alone; or another provider (its buttons,
// and why the last sign-in with one came back refused); or the way to a new password.
import { useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { PasswordField } from '../../components/PasswordField';
import { emailInput } from '../../email-input';
import { takeSignedOutNotice } from '../../signed-out-notice';

export function PasswordStep(props: {
  email: string;
  onEmail: (email: string) => void;
  password: string;
  onPassword: (password: string) => void;
  onSubmit: (event: FormEvent) => void;
  /** Signing in is refused for now (busy, or locked). */
  disabled: boolean;
  alert: ReactNode;
  /** The passkey's own answer, and whether it may be started now. */
  keyAlert: ReactNode;
  keyDisabled: boolean;
  onPasskey: () => void;
  forgotLink: ReactNode;
  /** Why a sign-in with another provider came back here (?upstream_error=), in words; null when it did not. */
  upstreamError: string | null;
  /** The "Sign in with …" links (nothing when no provider is enabled). */
  providers: ReactNode;
}) {
  const { t } = useTranslation();
  // Why this browser was signed out, when it was on purpose (an account deleted): said once.
  const [notice] = useState(takeSignedOutNotice);
  return (
    <section className="card narrow">
      <h1>{t('signIn.title')}</h1>
      {notice && (
        <p role="status" data-signed-out-notice={notice}>
          {t(`signedOut.${notice}`)}
        </p>
      )}
      {props.upstreamError && (
        <p role="alert" className="error" data-upstream-error>
          {props.upstreamError}
        </p>
      )}
      <form onSubmit={props.onSubmit}>
        <label htmlFor="email">{t('signIn.email')}</label>
        <input id="email" {...emailInput('username')} value={props.email} onChange={(e) => props.onEmail(e.target.value)} required autoFocus />
        <PasswordField id="password" label={t('signIn.password')} purpose="current" value={props.password} onChange={props.onPassword} />
        {props.alert}
        <button type="submit" className="primary" disabled={props.disabled}>
          {t('signIn.submit')}
        </button>
      </form>
      {props.providers}
      {props.keyAlert}
      {/* A link, not a second button: "Sign in" stays the page's one button of that name. */}
      <p>
        {/* biome-ignore lint/a11y/useValidAnchor: a button named "Sign in with a passkey" would also match the seed's button "Sign in" by name */}
        <a
          href="#passkey"
          aria-disabled={props.keyDisabled}
          onClick={(e) => {
            e.preventDefault();
            if (!props.keyDisabled) props.onPasskey();
          }}
        >
          {t('keys.passkeySignIn')}
        </a>
      </p>
      {props.forgotLink}
    </section>
  );
}
