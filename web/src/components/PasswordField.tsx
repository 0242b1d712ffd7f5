// A password field, with its label: the browser's password manager told which password it is
// (`purpose`), and the server's limits (src/modules/passwords/password-policy.ts) in one place.
import type { InputHTMLAttributes } from 'react';

/** The server refuses shorter new passwords (too_short) and longer ones of any kind (too_long). */
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

type Props = {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** current: the password the account has (sign-in, confirmations); new: one being chosen. */
  purpose: 'current' | 'new';
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'value' | 'onChange' | 'type'>;

export function PasswordField({ id, label, value, onChange, purpose, ...rest }: Props) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="password"
        autoComplete={purpose === 'new' ? 'new-password' : 'current-password'}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        required
        minLength={purpose === 'new' ? PASSWORD_MIN_LENGTH : undefined}
        maxLength={PASSWORD_MAX_LENGTH}
        {...rest}
      />
    </>
  );
}
