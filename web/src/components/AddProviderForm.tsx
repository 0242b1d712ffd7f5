// Sign-in providers → Add a provider: the preset (which decides the issuer field, or Entra ID's
// tenant), the name on the button, the client the provider registered, trust for MFA, a logo
// uploaded here (a data: URL: the sign-in page never shows an image from elsewhere), and the
// optional group mapping. The server fetches the provider's discovery document at once and saves
// nothing when it does not answer (upstream_discovery_failed).
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AdminUpstreamProvider } from '../../../src/shared/api-types';
import { api, ApiError } from '../api';
import { type LogoProblem, LOGO_TYPES, parseGroupMap, PRESET_ORDER, PRESETS, type ProviderPreset, readLogo } from '../provider-presets';
import { useFormSubmit } from '../use-form-submit';
import { ErrorAlert } from './ErrorAlert';
import { PasswordField } from './PasswordField';

/** A mistake the form finds before asking the server (the logo, a mapping line), in words. */
class FormProblem extends Error {}

export function AddProviderForm({ onAdded }: { onAdded: (provider: AdminUpstreamProvider) => Promise<void> }) {
  const { t } = useTranslation();
  const [preset, setPreset] = useState<ProviderPreset>('oidc');
  const [name, setName] = useState('');
  const [issuer, setIssuer] = useState('');
  const [tenant, setTenant] = useState('');
  const [clientId, setClientId] = useState('');
  const [clientSecret, setClientSecret] = useState('');
  const [trustedMfa, setTrustedMfa] = useState(false);
  const [logo, setLogo] = useState<string | null>(null);
  const [logoProblem, setLogoProblem] = useState<LogoProblem | null>(null);
  const [groupsClaim, setGroupsClaim] = useState('');
  const [groupMap, setGroupMap] = useState('');
  // The file input is uncontrolled: a new key empties it (after an add, or "Remove the logo").
  const [logoInput, setLogoInput] = useState(0);
  const form = PRESETS[preset];

  const pickPreset = (next: ProviderPreset) => {
    // The preset's own name follows the choice until the administrator types another.
    if (name === '' || name === PRESETS[preset].name) setName(PRESETS[next].name);
    setPreset(next);
  };

  const pickLogo = async (file: File | undefined) => {
    setLogo(null);
    setLogoProblem(null);
    if (!file) return;
    const read = await readLogo(file);
    if ('logo' in read) setLogo(read.logo);
    else setLogoProblem(read);
  };

  const { submit, error } = useFormSubmit(async () => {
    if (logoProblem) throw new FormProblem(t(`upstream.admin.${logoProblem.problem}`, logoProblem));
    const mapping = parseGroupMap(groupMap);
    if ('badLine' in mapping) throw new FormProblem(t('upstream.admin.groupMapLine', { line: mapping.badLine }));
    const added = await api<AdminUpstreamProvider>('POST', '/api/admin/upstream', {
      preset,
      name: name.trim(),
      ...(form.issuer !== 'none' && issuer.trim() ? { issuer: issuer.trim() } : {}),
      ...(form.tenant ? { tenant: tenant.trim() } : {}),
      clientId: clientId.trim(),
      clientSecret,
      trustedMfa,
      ...(logo ? { logo } : {}),
      ...(groupsClaim.trim() ? { groupsClaim: groupsClaim.trim() } : {}),
      ...(Object.keys(mapping.map).length > 0 ? { groupMap: mapping.map } : {}),
    });
    for (const clear of [setName, setIssuer, setTenant, setClientId, setClientSecret, setGroupsClaim, setGroupMap]) clear('');
    setPreset('oidc');
    setTrustedMfa(false);
    setLogo(null);
    setLogoInput((n) => n + 1);
    await onAdded(added);
  });

  return (
    <form onSubmit={submit} aria-labelledby="add-provider-title" data-add-provider>
      <h2 id="add-provider-title">{t('upstream.admin.add')}</h2>
      <label htmlFor="provider-preset">{t('upstream.admin.preset')}</label>
      <select id="provider-preset" value={preset} onChange={(e) => pickPreset(e.target.value as ProviderPreset)}>
        {PRESET_ORDER.map((p) => (
          <option key={p} value={p}>
            {t(`upstream.admin.presets.${p}`)}
          </option>
        ))}
      </select>
      <label htmlFor="provider-name">{t('upstream.admin.name')}</label>
      <input id="provider-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} />
      {form.issuerText && (
        <Field id="provider-issuer" label={t(`upstream.admin.${form.issuerText.label}`)} hint={t(`upstream.admin.${form.issuerText.hint}`)}>
          <input
            id="provider-issuer"
            type="url"
            value={issuer}
            onChange={(e) => setIssuer(e.target.value)}
            required={form.issuer === 'required'}
            maxLength={512}
            spellCheck={false}
            aria-describedby="provider-issuer-hint"
          />
        </Field>
      )}
      {form.tenant && (
        <Field id="provider-tenant" label={t('upstream.admin.tenant')} hint={t('upstream.admin.tenantHint')}>
          <input
            id="provider-tenant"
            value={tenant}
            onChange={(e) => setTenant(e.target.value)}
            required
            maxLength={128}
            spellCheck={false}
            autoCapitalize="none"
            aria-describedby="provider-tenant-hint"
          />
        </Field>
      )}
      <label htmlFor="provider-client-id">{t('upstream.admin.clientId')}</label>
      <input
        id="provider-client-id"
        value={clientId}
        onChange={(e) => setClientId(e.target.value)}
        required
        maxLength={255}
        spellCheck={false}
        autoComplete="off"
      />
      <PasswordField
        id="provider-client-secret"
        label={t('upstream.admin.clientSecret')}
        purpose="new"
        minLength={1}
        value={clientSecret}
        onChange={setClientSecret}
      />
      <label className="checkbox">
        <input type="checkbox" checked={trustedMfa} onChange={(e) => setTrustedMfa(e.target.checked)} aria-describedby="provider-trusted-hint" />{' '}
        {t('upstream.admin.trustedMfaLabel')}
      </label>
      <p id="provider-trusted-hint" className="hint">
        {t('upstream.admin.trustedMfaHint')}
      </p>
      <Field id="provider-logo" label={t('upstream.admin.logo')} hint={t('upstream.admin.logoHint')}>
        <input
          key={logoInput}
          id="provider-logo"
          type="file"
          accept={LOGO_TYPES.join(',')}
          onChange={(e) => void pickLogo(e.target.files?.[0])}
          aria-describedby="provider-logo-hint"
        />
      </Field>
      {logoProblem && (
        <p role="alert" className="error">
          {t(`upstream.admin.${logoProblem.problem}`, logoProblem)}
        </p>
      )}
      {logo && (
        <p className="logo-preview">
          {t('upstream.admin.logoPreview')} <img src={logo} alt="" width={24} height={24} />{' '}
          <button
            type="button"
            className="link"
            onClick={() => {
              setLogo(null);
              setLogoInput((n) => n + 1);
            }}
          >
            {t('upstream.admin.removeLogo')}
          </button>
        </p>
      )}
      <Field id="provider-groups-claim" label={t('upstream.admin.groupsClaim')} hint={t('upstream.admin.groupsClaimHint')}>
        <input
          id="provider-groups-claim"
          value={groupsClaim}
          onChange={(e) => setGroupsClaim(e.target.value)}
          maxLength={128}
          spellCheck={false}
          autoCapitalize="none"
          aria-describedby="provider-groups-claim-hint"
        />
      </Field>
      <Field id="provider-group-map" label={t('upstream.admin.groupMap')} hint={t('upstream.admin.groupMapHint')}>
        <textarea
          id="provider-group-map"
          value={groupMap}
          onChange={(e) => setGroupMap(e.target.value)}
          rows={3}
          spellCheck={false}
          autoCapitalize="none"
          aria-describedby="provider-group-map-hint"
        />
      </Field>
      {error instanceof FormProblem ? (
        <p role="alert" className="error">
          {error.message}
        </p>
      ) : (
        // The server's own sentence for a refused value (a bad issuer, an unknown group); ours for the rest.
        <ErrorAlert error={error} detail={error instanceof ApiError && error.code === 'invalid_request'} />
      )}
      <button type="submit" className="primary">
        {t('upstream.admin.submit')}
      </button>
    </form>
  );
}

/** A label, its input, and the hint the input names with aria-describedby (`<id>-hint`). */
function Field({ id, label, hint, children }: { id: string; label: string; hint: string; children: ReactNode }) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      {children}
      <p id={`${id}-hint`} className="hint">
        {hint}
      </p>
    </>
  );
}
