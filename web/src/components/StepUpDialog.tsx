// "Confirm it is you": the step-up asked inline when a sensitive call answers
// reauthentication_required. The password, plus a code when 2FA is on; on success the call that
// needed it is made again (api.ts), so the user carries on; Cancel leaves it refused. A code from
// the app already typed for that call fills the code field: typed once, spent once (issue 36).
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, setStepUpPrompt, type StepUpDone } from '../api';
import { useFormSubmit } from '../use-form-submit';
import { ErrorAlert } from './ErrorAlert';
import { isAppCode, normalizeCode } from '../codes';
import { CodeField } from './CodeField';
import { PasswordField } from './PasswordField';

export function StepUpDialog({ twoFactorEnabled }: { twoFactorEnabled: boolean }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const settle = useRef<((done: StepUpDone | null) => void) | null>(null);

  useEffect(() => {
    setStepUpPrompt(
      (offer) =>
        new Promise<StepUpDone | null>((resolve) => {
          settle.current?.(null); // a second prompt replaces a first still open
          settle.current = resolve;
          setPassword('');
          setCode(offer.code ?? '');
          setOpen(true);
        }),
    );
    return () => setStepUpPrompt(null);
  }, []);

  const close = (done: StepUpDone | null) => {
    setOpen(false);
    setPassword('');
    setCode('');
    settle.current?.(done);
    settle.current = null;
  };

  const { submit, error, reset } = useFormSubmit(async () => {
    const typed = normalizeCode(code);
    await api('POST', '/api/session/step-up', twoFactorEnabled ? { password, code: typed } : { password });
    reset();
    close({ withAppCode: twoFactorEnabled && isAppCode(typed) });
  });

  if (!open) return null;
  return (
    <div className="dialog-backdrop">
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby="step-up-title"
        aria-describedby="step-up-help"
        className="card narrow dialog"
        onKeyDown={(event) => {
          if (event.key === 'Escape') close(null);
        }}
      >
        <h2 id="step-up-title">{t('stepUp.title')}</h2>
        <p id="step-up-help">{t('stepUp.help')}</p>
        <form onSubmit={submit}>
          <PasswordField id="step-up-password" label={t('stepUp.password')} purpose="current" value={password} onChange={setPassword} autoFocus />
          {twoFactorEnabled && <CodeField id="step-up-code" label={t('stepUp.code')} kind="any" value={code} onChange={setCode} />}
          <ErrorAlert error={error} />
          <div className="actions">
            <button type="submit" className="primary">
              {t('stepUp.confirm')}
            </button>
            <button type="button" onClick={() => close(null)}>
              {t('stepUp.cancel')}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
