// The three names of an account (display, given, family) as one form: the owner's (ProfileForm)
// and an administrator's (Users → Edit name). The server trims, normalises (NFC) and checks them.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ProfileInput, User } from '../../../src/shared/api-types';
import { useFormSubmit } from '../use-form-submit';
import { ErrorAlert } from './ErrorAlert';

/** The server's limit per name, after trimming (src/modules/users/profile.ts). */
const NAME_MAX_LENGTH = 100;

/** How a name shows where the email did: the display name, else given and family names, else none. */
export function nameOf(user: Pick<User, 'displayName' | 'givenName' | 'familyName'>): string | null {
  return user.displayName || [user.givenName, user.familyName].filter(Boolean).join(' ') || null;
}

export function NameFields(props: {
  id: string;
  initial: Pick<User, 'displayName' | 'givenName' | 'familyName'>;
  onSave: (names: ProfileInput) => Promise<void>;
  onCancel?: () => void;
  done?: string;
}) {
  const { t } = useTranslation();
  const [names, setNames] = useState({
    displayName: props.initial.displayName ?? '',
    givenName: props.initial.givenName ?? '',
    familyName: props.initial.familyName ?? '',
  });
  const orNull = (value: string) => (value.trim() === '' ? null : value);
  const { submit, error, done, busy } = useFormSubmit(() =>
    props.onSave({ displayName: orNull(names.displayName), givenName: orNull(names.givenName), familyName: orNull(names.familyName) }),
  );
  const field = (name: keyof typeof names, autoComplete: string) => (
    <>
      <label htmlFor={`${props.id}-${name}`}>{t(`profile.${name}`)}</label>
      <input
        id={`${props.id}-${name}`}
        value={names[name]}
        autoComplete={autoComplete}
        maxLength={NAME_MAX_LENGTH + 20}
        onChange={(e) => setNames({ ...names, [name]: e.target.value })}
      />
    </>
  );
  return (
    <form onSubmit={submit}>
      {field('displayName', 'nickname')}
      {field('givenName', 'given-name')}
      {field('familyName', 'family-name')}
      <p className="hint">{t('profile.rules')}</p>
      <ErrorAlert error={error} />
      {done && props.done && <p role="status">{props.done}</p>}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {t('profile.save')}
        </button>
        {props.onCancel && (
          <button type="button" onClick={props.onCancel}>
            {t('account.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}
