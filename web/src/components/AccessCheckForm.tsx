// Applications → "Can this person reach this address?" (GET /api/admin/access/check): the same
// decision /api/verify makes, for an account and a session of the chosen strength; the answer
// names the application and the rule that matched, and says why in the page's language (the
// server's `explanation` is English, for the command line and the log: shown marked as such).
import { type RefObject, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AccessCheck, AccessFactors } from '../../../src/shared/api-types';
import { api } from '../api';
import { checkReason, FACTORS, factorText, ruleWho } from '../access-text';
import { useFormSubmit } from '../use-form-submit';
import { ErrorAlert } from './ErrorAlert';
import { emailInput } from '../email-input';

export function AccessCheckForm() {
  const { t } = useTranslation();
  const [email, setEmail] = useState('');
  const [url, setUrl] = useState('');
  const [factors, setFactors] = useState<AccessFactors>('password');
  const [answer, setAnswer] = useState<AccessCheck | null>(null);
  const resultRef = useRef<HTMLHeadingElement>(null);
  const { submit, error } = useFormSubmit(async () => {
    setAnswer(null);
    const params = new URLSearchParams({ email: email.trim(), url: url.trim(), factors });
    setAnswer(await api<AccessCheck>('GET', `/api/admin/access/check?${params}`));
  });
  // The answer takes the focus, so a screen reader hears it.
  useEffect(() => {
    if (answer) resultRef.current?.focus();
  }, [answer]);

  return (
    <section aria-labelledby="access-check-title">
      <h2 id="access-check-title">{t('accessCheck.title')}</h2>
      <p>{t('accessCheck.intro')}</p>
      <form onSubmit={submit} aria-labelledby="access-check-title">
        <label htmlFor="check-email">{t('accessCheck.email')}</label>
        <input id="check-email" {...emailInput('off')} value={email} onChange={(e) => setEmail(e.target.value)} required />
        <label htmlFor="check-url">{t('accessCheck.address')}</label>
        <input
          id="check-url"
          type="url"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          required
          maxLength={4096}
          spellCheck={false}
          aria-describedby="check-url-hint"
        />
        <p id="check-url-hint" className="hint">
          {t('accessCheck.addressHint')}
        </p>
        <label htmlFor="check-factors">{t('accessCheck.factors')}</label>
        <select id="check-factors" value={factors} onChange={(e) => setFactors(e.target.value as AccessFactors)}>
          {FACTORS.map((f) => (
            <option key={f} value={f}>
              {factorText(t, f)}
            </option>
          ))}
        </select>
        <ErrorAlert error={error} detail />
        <button type="submit">{t('accessCheck.check')}</button>
      </form>
      {answer && <CheckAnswer answer={answer} headingRef={resultRef} />}
    </section>
  );
}

function CheckAnswer({ answer, headingRef }: { answer: AccessCheck; headingRef: RefObject<HTMLHeadingElement | null> }) {
  const { t } = useTranslation();
  const badge = answer.outcome === 'allow' ? 'badge' : answer.outcome === 'deny' ? 'badge danger' : 'badge warning';
  return (
    <section aria-labelledby="check-result-title" className="check-result" data-outcome={answer.outcome}>
      <h3 id="check-result-title" ref={headingRef} tabIndex={-1}>
        {t('accessCheck.result')}: <span className={badge}>{t(`accessCheck.outcome.${answer.outcome}`)}</span>
      </h3>
      <dl>
        <dt>{t('accessCheck.why')}</dt>
        <dd data-reason={answer.reason}>{checkReason(t, answer)}</dd>
        <dt>{t('accessCheck.application')}</dt>
        <dd>
          {answer.application ? (
            <>
              {answer.application.name} <code>{answer.application.host}</code>
            </>
          ) : (
            t('accessCheck.noApplication')
          )}
        </dd>
        <dt>{t('accessCheck.rule')}</dt>
        <dd>
          {!answer.rule
            ? t('accessCheck.noRule')
            : answer.rule.effect === 'deny'
              ? t('accessCheck.ruleTextDeny', { path: answer.rule.path, who: ruleWho(t, answer.rule) })
              : t('accessCheck.ruleText', { path: answer.rule.path, who: ruleWho(t, answer.rule), factors: factorText(t, answer.rule.factors) })}
        </dd>
        <dt>{t('accessCheck.groups')}</dt>
        <dd>{answer.groups.length > 0 ? answer.groups.join(', ') : t('accessCheck.noGroups')}</dd>
        <dt>{t('accessCheck.explanation')}</dt>
        <dd lang="en">{answer.explanation}</dd>
      </dl>
    </section>
  );
}
