// A field for a code, with its label: one shape wherever a code is typed (the phone's one-time-code
// autofill, no capitals or spelling fixes, the one length limit of codes.ts). `kind`: "app" for a
// code from the app only (numeric keyboard), "any" where a backup code is taken too.
import type { InputHTMLAttributes, Ref } from 'react';
import { CODE_MAX_LENGTH } from '../codes';

type Props = {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  kind: 'app' | 'any';
  ref?: Ref<HTMLInputElement>;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'value' | 'onChange'>;

export function CodeField({ id, label, value, onChange, kind, ref, ...rest }: Props) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        ref={ref}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        autoComplete="one-time-code"
        inputMode={kind === 'app' ? 'numeric' : undefined}
        autoCapitalize="off"
        spellCheck={false}
        required
        maxLength={CODE_MAX_LENGTH}
        {...rest}
      />
    </>
  );
}
