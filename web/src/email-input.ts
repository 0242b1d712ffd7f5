// Every email field of the UI: a text field that asks for the email keyboard, never type="email".
// Chromium's type="email" refuses internationalised addresses (josé@example.com, ana@bücher.example)
// before they are sent, though the server accepts them (it normalises NFKC) and the CLI creates
// such accounts: the server's validation decides, and its message is shown.
import type { InputHTMLAttributes } from 'react';

export const emailInput = (autoComplete: 'email' | 'username' | 'off' = 'email'): InputHTMLAttributes<HTMLInputElement> => ({
  type: 'text',
  inputMode: 'email',
  autoComplete,
  autoCapitalize: 'none',
  spellCheck: false,
  maxLength: 320,
});
