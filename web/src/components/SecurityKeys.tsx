// Client area → Password and account security: security keys and passkeys (WebAuthn). Add one
// (the browser's own dialog does the work, through @simplewebauthn/browser), rename, remove. The
// first key of an account without the app comes with backup codes, shown once.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { startRegistration, type PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/browser';
import type { SecurityKey, SecurityKeyRegistered, SecurityKeysAnswer } from '../../../src/shared/api-types';
import { api } from '../api';
import { ErrorAlert } from './ErrorAlert';
import { BackupCodes } from './BackupCodes';
import { useAction, useFormSubmit } from '../use-form-submit';
import { useLoad } from '../use-load';

export function SecurityKeys({ email, onChanged }: { email: string; onChanged: () => Promise<void> }) {
  const { t } = useTranslation();
  const [adding, setAdding] = useState(false);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const action = useAction();
  const { data: answer, error: loadError, reload: load } = useLoad(() => api<SecurityKeysAnswer>('GET', '/api/me/webauthn'));

  const added = async (result: SecurityKeyRegistered) => {
    setAdding(false);
    await load();
    if (result.backupCodes) setCodes(result.backupCodes);
    else await onChanged();
  };

  if (codes) {
    return (
      <BackupCodes
        codes={codes}
        account={email}
        onConfirmed={() => {
          setCodes(null);
          void onChanged();
        }}
      />
    );
  }

  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">{t('keys.title')}</h2>
      <p className="hint">{t('keys.explain')}</p>
      <ErrorAlert error={loadError ?? action.error} />
      {answer && answer.keys.length === 0 && <p>{t('keys.none')}</p>}
      {answer && answer.keys.length > 0 && (
        <ul className="devices" aria-label={t('keys.title')}>
          {answer.keys.map((k) =>
            renaming === k.id ? (
              <li key={k.id}>
                <NameForm
                  id={`rename-${k.id}`}
                  initial={k.name}
                  submitLabel={t('keys.saveName')}
                  onCancel={() => setRenaming(null)}
                  onSubmit={async (name) => {
                    await api('PATCH', `/api/me/webauthn/${encodeURIComponent(k.id)}`, { name });
                    setRenaming(null);
                    await load();
                  }}
                />
              </li>
            ) : (
              <KeyRow
                key={k.id}
                k={k}
                busy={action.busy}
                onRename={() => setRenaming(k.id)}
                onRemove={() =>
                  void action.run(async () => {
                    if (!window.confirm(t('keys.confirmRemove', { name: k.name }))) return;
                    await api('DELETE', `/api/me/webauthn/${encodeURIComponent(k.id)}`);
                    await load();
                    await onChanged();
                  })
                }
              />
            ),
          )}
        </ul>
      )}
      {answer && answer.keys.length > 0 && <p>{t('account.codesLeft', { count: answer.backupCodesLeft })}</p>}
      {adding ? (
        <NameForm
          id="new-key-name"
          initial=""
          label={t('keys.name')}
          submitLabel={t('keys.register')}
          onCancel={() => setAdding(false)}
          onSubmit={async (name) => {
            const optionsJSON = await api<PublicKeyCredentialCreationOptionsJSON>('POST', '/api/me/webauthn/register/options');
            const response = await startRegistration({ optionsJSON });
            await added(await api<SecurityKeyRegistered>('POST', '/api/me/webauthn/register', { name, response }));
          }}
        />
      ) : (
        <button type="button" onClick={() => setAdding(true)}>
          {t('keys.add')}
        </button>
      )}
    </section>
  );
}

function KeyRow({ k, busy, onRename, onRemove }: { k: SecurityKey; busy: boolean; onRename: () => void; onRemove: () => void }) {
  const { t } = useTranslation();
  return (
    <li>
      <span>
        <strong>{k.name}</strong> — {t('keys.added', { date: new Date(k.createdAt).toLocaleDateString() })},{' '}
        {k.lastUsedAt ? t('keys.lastUsed', { date: new Date(k.lastUsedAt).toLocaleString() }) : t('keys.neverUsed')}
      </span>{' '}
      <button type="button" disabled={busy} onClick={onRename}>
        {t('keys.rename')}
      </button>{' '}
      <button type="button" className="danger" disabled={busy} onClick={onRemove}>
        {t('keys.remove')}
      </button>
    </li>
  );
}

function NameForm(props: {
  id: string;
  initial: string;
  label?: string;
  submitLabel: string;
  onSubmit: (name: string) => Promise<void>;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [name, setName] = useState(props.initial);
  const { submit, error, busy } = useFormSubmit(() => props.onSubmit(name.trim()));
  return (
    <form onSubmit={submit}>
      <label htmlFor={props.id}>{props.label ?? t('keys.name')}</label>
      <input id={props.id} value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} autoFocus />
      <ErrorAlert error={error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {props.submitLabel}
        </button>
        <button type="button" onClick={props.onCancel}>
          {t('account.cancel')}
        </button>
      </div>
    </form>
  );
}
